"""A real uvicorn server in a process of its own, on the test database, configured as in production.

`asgi_live_server` (tests/live_server.py) runs uvicorn in a thread of the test process, with the test
settings. The production-mode tests need what a deployment runs: the settings built from the environment
(`DATABASE_URL`, `REDIS_URL`, the pool), a process that can be stopped, and services that can fail under it.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
APPLICATION_NAME = "evfleet-test-server"  # how the server's PostgreSQL connections show in pg_stat_activity


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tests_database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test_<name>), for another process."""
    params = connection.settings_dict
    auth = quote(params["USER"] or "")
    if params["PASSWORD"]:
        auth += ":" + quote(params["PASSWORD"])
    return f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


def server_connections(admin_dsn: str) -> int:
    """How many connections the server process holds to the test database right now."""
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            [connection.settings_dict["NAME"], APPLICATION_NAME],
        ).fetchone()
    return row[0]


def admin_dsn() -> str:
    """A connection to the server's `postgres` database: watching must not count against the test database."""
    return tests_database_url().rsplit("/", 1)[0] + "/postgres"


@contextlib.contextmanager
def uvicorn_process(tmp_path, **env_overrides):
    """Run `uvicorn evfleet.asgi:application` on the test database; yields (base URL, Popen).

    The environment is the test run's, minus every database setting but the URL (so the server runs with
    the defaults a deployment gets), plus `env_overrides` (a value of None removes the variable).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PG"))}
    env.update(
        DATABASE_URL=tests_database_url(),
        PGAPPNAME=APPLICATION_NAME,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,  # sessions made by the test are valid on the server
        DJANGO_LOG_LEVEL="WARNING",
        EVFLEET_DATA_DIR=str(tmp_path),
    )
    for name, value in env_overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    port = free_port()
    log = open(tmp_path / "uvicorn.log", "w+")  # noqa: SIM115  (closed below, read on failure)
    server = subprocess.Popen(  # noqa: S603  (our own server, a fixed argv)
        [
            sys.executable,
            "-m",
            "uvicorn",
            "evfleet.asgi:application",
            "--port",
            str(port),
            "--ws",
            "websockets-sansio",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "3",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"uvicorn did not start on {base_url}:\n{log.read()[-4000:]}")
            time.sleep(0.2)
        server.log_path = tmp_path / "uvicorn.log"
        yield base_url, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


class RedisServer:
    """A redis-server of the test's own on a free port; stopped by its process id, started again on that port."""

    def __init__(self, directory):
        self.port, self.directory, self.process = free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
