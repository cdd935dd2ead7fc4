"""End to end: a beat-scheduled job's live update reaches a signed-in dashboard WebSocket.

Real processes, as `make run` starts them: `manage.py serve` runs uvicorn, a Celery worker and
beat. In the embedded mode (no DATABASE_URL/REDIS_URL) the worker is another process than the
server, so the in-memory channel layer alone could not reach the socket: this proves the relay.
In production mode the same path runs over Redis and PostgreSQL.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "live-updates-check-42"  # noqa: S105

SETUP = f"""
from accounts.models import User
from accounts.services import department_create, user_create
from fleet.models import VehicleModel
from fleet.services import vehicle_create
depot = department_create(actor=None, name="Depot")
user_create(actor=None, username="watcher", password="{PASSWORD}", role=User.Role.FLEET_MANAGER, department=depot)
model = VehicleModel.objects.first()
for vin in ("WVWZZZE1ZPP000901", "WVWZZZE1ZPP000902"):
    vehicle_create(actor=None, vin=vin, department=depot, vehicle_model=model, status="maintenance")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env, *args, timeout=180):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=timeout,
        capture_output=True,
        text=True,
    )


def _base_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        EVFLEET_DATA_DIR=str(tmp_path),
        EVFLEET_FLEET_SUMMARY_INTERVAL="1",
        DJANGO_SECRET_KEY="scheduled-delivery-test-" + uuid.uuid4().hex,
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


@pytest.fixture(params=["embedded", "production"])
def service_env(request, tmp_path):
    env = _base_env(tmp_path)
    if request.param == "embedded":
        yield env
        return
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (database_url and redis_url):
        if os.environ.get("CI"):
            pytest.fail("CI must provide DATABASE_URL and REDIS_URL")
        pytest.skip("production mode needs DATABASE_URL and REDIS_URL")
    name = f"evfleet_delivery_{uuid.uuid4().hex[:10]}"
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env.update(
        DATABASE_URL=database_url.rsplit("/", 1)[0] + f"/{name}",
        REDIS_URL=redis_url,
        EVFLEET_CHANNEL_PREFIX=f"evfleet-test-{uuid.uuid4().hex[:8]}",
    )
    try:
        yield env
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.integration
def test_a_scheduled_jobs_update_arrives_on_the_dashboard_socket(service_env):
    env = service_env
    _manage(env, "migrate", "--noinput")
    _manage(env, "shell", "-c", SETUP)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--simulators", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)

        with httpx.Client(base_url=base) as browser:
            browser.get("/accounts/login/")
            response = browser.post(
                "/accounts/login/",
                data={"username": "watcher", "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            )
            assert response.status_code == 302, response.text[:500]
            session = browser.cookies["sessionid"]

        headers = {"Cookie": f"sessionid={session}", "Origin": base}
        with connect(f"ws://127.0.0.1:{port}/ws/dashboard/", additional_headers=headers, open_timeout=10) as socket_:
            assert json.loads(socket_.recv(timeout=10))["event"] == "hello"
            deadline = time.monotonic() + 45
            while True:
                remaining = deadline - time.monotonic()
                assert remaining > 0, "no fleet.summary from the beat job within 45 s"
                message = json.loads(socket_.recv(timeout=remaining))
                if message["event"] == "fleet.summary":
                    break
        summary = message["payload"]["summary"]
        assert summary["total"] == 2
        assert summary["status_maintenance"] == 2
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            output, _ = server.communicate()
    assert "fleet.tasks.fleet_summary_broadcast" in output
