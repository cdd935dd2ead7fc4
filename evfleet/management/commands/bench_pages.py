"""Benchmark of the pages as a browser loads them: first paint, first contentful paint, DOM ready and load, cold
(an empty browser cache: a first visit) and warm (the same browser again), on the demo data.

It starts the ASGI server as `manage.py serve` does (uvicorn, on a free port, this process's settings and database),
signs in as the demo's fleet manager in Chromium (Playwright) and opens each page REPEATS times in a fresh browser
context (cold), then REPEATS times again in one context (warm). Times come from the browser's own Performance API
(`performance.getEntriesByType("paint")` and the navigation entry), in milliseconds from the start of navigation.
Set up with `make bench-pages` (migrate, collectstatic, seed_demo, this). The target: the analytics dashboard's
first paint within 1.5 s on a first visit.

The result is one JSON document on stdout; progress goes to stderr.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from evfleet.management.commands.serve import uvicorn_arguments
from fleet.demo import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
MANAGER = "manager"  # the demo's fleet manager (fleet/demo.py USERS)
PAGES = {
    "analytics:dashboard": "/analytics/",
    "fleet:overview": "/fleet/",
    "stations:overview": "/stations/",
    "charging:session-list": "/sessions/",
    "analytics:compare": "/analytics/compare/",
}
TARGET_PAGE = "analytics:dashboard"
TARGET_FIRST_PAINT_MS = 1500

TIMINGS_JS = """async () => {
  // Paint entries may come after the load event: wait for the first contentful paint (10 s at most).
  await new Promise((resolve) => {
    const done = () => performance.getEntriesByName("first-contentful-paint").length > 0;
    if (done()) return resolve();
    new PerformanceObserver(() => done() && resolve()).observe({type: "paint", buffered: true});
    setTimeout(resolve, 10000);
  });
  const paint = Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]));
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  return {
    first_paint_ms: paint["first-paint"] ?? null,
    first_contentful_paint_ms: paint["first-contentful-paint"] ?? null,
    response_start_ms: nav.responseStart,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    load_ms: nav.loadEventEnd,
    transferred_bytes: nav.transferSize + resources.reduce((sum, r) => sum + (r.transferSize || 0), 0),
    requests: 1 + resources.length,
  };
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _median(samples: list[dict], key: str):
    values = [s[key] for s in samples if s[key] is not None]
    return round(statistics.median(values), 1) if values else None


class Command(BaseCommand):
    help = "Time the first paint and load of the main pages in Chromium, cold and warm cache, on the demo data."

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=5, help="Loads per page and cache state (median kept).")

    def handle(self, *args, repeats, **options):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise CommandError("Playwright is needed: pip install -r requirements-dev.txt") from exc
        if not CHROMIUM.exists():
            raise CommandError(f"{CHROMIUM} is missing: apt-get install -y chromium")
        if not User.objects.filter(username=MANAGER).exists():
            raise CommandError("No demo data: run `manage.py seed_demo` first (make bench-pages does).")
        hashed = not staticfiles_storage.url("css/app.css").endswith("/css/app.css")

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603  (our own server, a fixed argv)
            [sys.executable, "-m", *uvicorn_arguments("127.0.0.1", port)],
            env={**os.environ, "EVFLEET_RELAY_URL": f"{base}/internal/relay/"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_until_up(base, server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                try:
                    results = self._measure(browser, base, repeats)
                finally:
                    browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()

        target = results[TARGET_PAGE]["cold"]["first_paint_ms"]
        report = {
            "benchmark": "pages",
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "static_files": "hashed names, collected" if hashed else "plain names (collectstatic has not run)",
            "viewport": "1440x900",
            "repeats": repeats,
            "pages": results,
            "target": {
                "page": TARGET_PAGE,
                "cold_first_paint_ms": target,
                "max_ms": TARGET_FIRST_PAINT_MS,
                "met": target is not None and target <= TARGET_FIRST_PAINT_MS,
            },
        }
        self.stdout.write(json.dumps(report, indent=2))

    def _wait_until_up(self, base: str, server: subprocess.Popen) -> None:
        for _ in range(240):
            if server.poll() is not None:
                raise CommandError("The web server did not start.")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310  (http://127.0.0.1 only)
                    return
            except OSError:
                time.sleep(0.25)
        raise CommandError("The web server did not answer within 60 s.")

    def _measure(self, browser, base: str, repeats: int) -> dict:
        viewport = {"width": 1440, "height": 900}
        login = browser.new_context(base_url=base, viewport=viewport)
        page = login.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", MANAGER)
        page.fill("#id_password", DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dispatch/")
        signed_in = login.storage_state()  # the session cookie, without the cache
        login.close()

        def load(page, path):
            page.goto(path, wait_until="load")
            return page.evaluate(TIMINGS_JS)

        results = {}
        for name, path in PAGES.items():
            sys.stderr.write(f"{name} ({path}) ")
            cold = []
            for _ in range(repeats):
                context = browser.new_context(base_url=base, viewport=viewport, storage_state=signed_in)
                cold.append(load(context.new_page(), path))
                context.close()
                sys.stderr.write(".")
            context = browser.new_context(base_url=base, viewport=viewport, storage_state=signed_in)
            page = context.new_page()
            load(page, path)  # fills the cache
            warm = [load(page, path) for _ in range(repeats)]
            context.close()
            sys.stderr.write(" done\n")
            keys = cold[0].keys()
            results[name] = {
                "path": path,
                "cold": {key: _median(cold, key) for key in keys},
                "warm": {key: _median(warm, key) for key in keys},
            }
        return results
