"""Browser fixtures: Debian's Chromium driven by Playwright against `asgi_live_server`.

`browser` skips locally when Chromium is missing and fails in CI, where it must be installed.
"""

import os
import threading
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"  # conftest's users


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must run the browser tests (apt-get install -y chromium)")
        pytest.skip("apt-get install -y chromium")
    # Playwright's sync API keeps an asyncio loop on this thread, which trips Django's guard against
    # blocking ORM calls inside a running loop; the test's own ORM calls are plain blocking code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
                # While Playwright runs, this thread's code runs in another contextvars context (the
                # greenlet it switches back from), and Django keeps connections per context: the test
                # opened its own. Close it here, or it outlives the test and, on PostgreSQL, blocks
                # DROP DATABASE at the end of the session ("being accessed by other users").
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Every Content-Security-Policy violation on any page a browser test opens fails that test: the browser fires
# `securitypolicyviolation` at the document (an init script hands it to Python, on every page and navigation) and
# logs a console error; both are collected.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation({page: document.location.href, directive: e.violatedDirective,
                         blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample});
});
"""


@pytest.fixture
def csp_violations():
    """The CSP violations seen so far by the test's browser pages (see `page`)."""
    return []


@pytest.fixture
def page(browser, asgi_live_server, csp_violations):
    """A fresh browser context on the live server; closed before the server stops. Fails the test on any
    Content-Security-Policy violation."""
    context = browser.new_context(base_url=asgi_live_server)
    context.set_default_timeout(10_000)
    context.expose_binding("__cspViolation", lambda source, violation: csp_violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    new_page = context.new_page()
    new_page.on(
        "console",
        lambda message: (
            csp_violations.append({"page": new_page.url, "console": message.text})
            if "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        yield new_page
        new_page.wait_for_timeout(100)  # violations are reported asynchronously
    finally:
        context.close()
    assert csp_violations == [], f"Content-Security-Policy violations: {csp_violations}"


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dispatch/")  # signing in lands on the readiness board


def _in_thread(function, *args, **kwargs):
    """Run `function` in a plain thread and return its result.

    Needed for code that publishes live events: `realtime.publish()` uses asgiref's async_to_sync,
    which refuses to run on a thread with a running event loop, and Playwright keeps one on this thread.
    """
    outcome = {}

    def target():
        try:
            outcome["result"] = function(*args, **kwargs)
        except BaseException as exc:  # re-raised in the test thread
            outcome["error"] = exc
        finally:
            connections.close_all()  # this thread's own database connection

    worker = threading.Thread(target=target)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        raise TimeoutError(f"{function.__name__} did not finish within 30 s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
