"""Run everything in the foreground: the ASGI server, the Celery worker and beat. One Ctrl-C stops all."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fleet.demo import DEMO_PASSWORD, USERS


def uvicorn_arguments(host: str, port: int) -> list[str]:
    """The web server as `serve` starts it (README's production command matches): it reads no WebSocket message
    larger than a station may send (EVFLEET_OCPP_MAX_FRAME_BYTES), closing such a socket with 1009."""
    return [
        "uvicorn",
        "evfleet.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--ws",
        "websockets-sansio",
        "--ws-max-size",
        str(settings.OCPP_MAX_FRAME_BYTES),
        "--no-access-log",
    ]


class Command(BaseCommand):
    help = "Start the ASGI server (uvicorn), a Celery worker and beat together; Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("EVFLEET_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("EVFLEET_PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true", help="Only the web server (workers run elsewhere).")
        parser.add_argument(
            "--simulators",
            type=int,
            default=9,
            help="Simulated charge points to start (SIM-* stations, the first of each demo site in turn; 0: none).",
        )

    def handle(self, *args, host, port, no_worker, simulators, **options):
        env = {**os.environ, "EVFLEET_RELAY_URL": f"http://127.0.0.1:{port}/internal/relay/"}
        python = sys.executable
        commands = [("web", [python, "-m", *uvicorn_arguments(host, port)])]
        if not no_worker:
            # Beat runs inside the worker (-B): one process holds the schedule. In production, run
            # `celery -A evfleet beat` once and as many `celery -A evfleet worker` as needed instead.
            commands.append(
                (
                    "worker",
                    [
                        python,
                        "-m",
                        "celery",
                        "-A",
                        "evfleet",
                        "worker",
                        "-B",
                        "--pool=threads",
                        "--concurrency=4",
                        "--loglevel=INFO",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                )
            )
        processes = {name: subprocess.Popen(cmd, env=env, start_new_session=True) for name, cmd in commands}

        def stop(*_):
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            self._wait_until_up(host, port, processes["web"])
            if simulators:
                processes["stations"] = subprocess.Popen(
                    [
                        python,
                        "manage.py",
                        "simulate_stations",
                        "--url",
                        f"ws://127.0.0.1:{port}",
                        "--limit",
                        str(simulators),
                    ],
                    env=env,
                    start_new_session=True,
                )
            self._banner(host, port)
            # The server and the worker are essential; simulated stations are a demo extra whose end stops nothing.
            essential = [p for name, p in processes.items() if name != "stations"]
            while all(p.poll() is None for p in essential):
                time.sleep(0.5)
            failed = [
                name
                for name, p in processes.items()
                if name != "stations" and p.returncode not in (None, 0, -signal.SIGTERM)
            ]
        finally:
            stop()
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        if failed:
            raise CommandError(f"Stopped because {', '.join(failed)} exited; see its output above.")

    def _wait_until_up(self, host, port, web):
        url = f"http://127.0.0.1:{port}/healthz"
        for _ in range(120):
            if web.poll() is not None:
                raise CommandError("The web server did not start; see its output above.")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except OSError:
                time.sleep(0.25)
        raise CommandError(f"{url} did not answer within 30 s.")

    def _banner(self, host, port):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104  (comparison, not a bind)
        mode = (
            "production services" if settings.DATABASE_URL else "embedded (SQLite, in-memory layer, filesystem broker)"
        )
        lines = [
            "",
            f"  EV Fleet is running at http://{shown}:{port}/   ({mode})",
            f"  API docs: http://{shown}:{port}/api/docs/   admin: http://{shown}:{port}/admin/",
            f"  Demo logins, password {DEMO_PASSWORD!r} for all:",
            *(f"    {u:<12} {r.label}" for u, r, _d in USERS),
            "  Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
