"""Production mode keeps its PostgreSQL connections within the pool, whatever the traffic.

Under ASGI each request's sync code runs in a thread that ends with the request. Persistent connections
(CONN_MAX_AGE > 0) are kept per thread, so every request used to leave one connection open until
PostgreSQL's max_connections was exhausted and every process failed. A real uvicorn on the test database
(the default settings, a pool of 4) serves pages, API calls, a dashboard socket and a station's OCPP
messages while a watcher counts the server's connections in pg_stat_activity.
"""

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from websockets.sync.client import connect

from accounts.models import User
from accounts.tests.factories import DepartmentFactory, UserFactory
from fleet.tests.factories import VehicleFactory
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.server_process import ROOT, admin_dsn, server_connections, uvicorn_process

POOL_MAX = 4
REQUESTS = 500
OCPP_MESSAGES = 60


@pytest.fixture
def postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (set DATABASE_URL)")


class Watcher(threading.Thread):
    """Counts the server's connections every 50 ms; `over` is set the moment they exceed the pool."""

    def __init__(self, limit: int):
        super().__init__(daemon=True)
        self.limit, self.most, self.over, self.done = limit, 0, threading.Event(), threading.Event()
        self.dsn = admin_dsn()

    def run(self):
        while not self.done.wait(0.05):
            self.most = max(self.most, server_connections(self.dsn))
            if self.most > self.limit:
                self.over.set()  # stop the traffic at once: PostgreSQL is shared with other test runs


def test_the_server_keeps_its_database_connections_within_the_pool_under_500_requests(postgresql, tmp_path):
    depot = DepartmentFactory(name="Depot")
    manager = UserFactory(username="manager", role=User.Role.FLEET_MANAGER, department=depot)
    token = Token.objects.create(user=manager).key
    vehicles = [VehicleFactory(department=depot) for _ in range(3)]
    station = ChargePointFactory(identity="POOL-1", site=SiteFactory(department=depot))
    ConnectorFactory(charge_point=station, evse_id=1)
    browser = Client()
    browser.force_login(manager)
    cookie = browser.cookies["sessionid"].value
    connection.close()  # the server's connections are the only ones to count

    api = {"Authorization": f"Token {token}"}
    page = {"Cookie": f"sessionid={cookie}"}
    paths = [
        ("/api/v1/vehicles/", api),
        (f"/api/v1/vehicles/{vehicles[0].pk}/", api),
        ("/api/v1/charge-points/", api),
        (f"/api/v1/charge-points/{station.pk}/messages/", page),
        ("/fleet/", page),
        (f"/fleet/vehicles/{vehicles[1].pk}/", page),
        ("/stations/", page),
        (f"/stations/charge-points/{station.pk}/", page),
        ("/healthz", {}),
        (f"/api/v1/vehicles/{vehicles[2].pk}/", api),  # a write: PATCH below
    ]

    with uvicorn_process(tmp_path, DATABASE_POOL_MAX_SIZE=POOL_MAX) as (base_url, _server):
        watcher = Watcher(POOL_MAX)
        watcher.start()
        local = threading.local()

        def request(i: int) -> int:
            if watcher.over.is_set():
                return -1
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base_url, timeout=30)
            path, headers = paths[i % len(paths)]
            if i % len(paths) == len(paths) - 1:
                return local.client.patch(path, headers=headers, json={"license_plate": f"B-P {i}"}).status_code
            return local.client.get(path, headers=headers).status_code

        def station_traffic() -> list:
            answers = []
            ws = base_url.replace("http://", "ws://")
            with connect(f"{ws}/ocpp/POOL-1", subprotocols=["ocpp1.6"], open_timeout=10) as socket:
                for n in range(OCPP_MESSAGES):
                    if watcher.over.is_set():
                        break
                    if n % 3 == 0:
                        status = "Available" if n % 2 else "Preparing"
                        message = [
                            2,
                            f"s{n}",
                            "StatusNotification",
                            {"connectorId": 1, "errorCode": "NoError", "status": status},
                        ]
                    else:
                        message = [2, f"h{n}", "Heartbeat", {}]
                    socket.send(json.dumps(message))
                    answers.append(json.loads(socket.recv(timeout=15)))
            return answers

        def dashboard() -> str:
            ws = base_url.replace("http://", "ws://")
            headers = {"Cookie": f"sessionid={cookie}", "Origin": base_url}
            with connect(f"{ws}/ws/dashboard/", additional_headers=headers, open_timeout=10) as socket:
                return json.loads(socket.recv(timeout=10))["event"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            ocpp = pool.submit(station_traffic)
            hello = pool.submit(dashboard)
            statuses = list(pool.map(request, range(REQUESTS)))
            answers = ocpp.result(timeout=120)
        watcher.done.set()
        watcher.join(5)
        after = server_connections(admin_dsn())

    assert not watcher.over.is_set(), (
        f"the server held {watcher.most} connections to its database, more than its pool of {POOL_MAX} "
        f"(after {sum(s != -1 for s in statuses)} requests)"
    )
    assert watcher.most <= POOL_MAX and after <= POOL_MAX
    assert statuses == [200] * REQUESTS, {s: statuses.count(s) for s in set(statuses)}
    assert hello.result() == "hello"
    assert len(answers) == OCPP_MESSAGES and all(a[0] == 3 for a in answers), answers[:3]


def _database_settings(tmp_path, **env) -> dict:
    """DATABASES["default"] as a process with this environment builds it (no connection is made)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_URL", "CI"))}
    script = "import json; from django.conf import settings; print(json.dumps(settings.DATABASES['default']))"
    result = subprocess.run(  # noqa: S603  (our own manage.py)
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={**base, "EVFLEET_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@db.invalid:5432/x", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_mode_pools_connections_by_default_and_sizes_the_pool_from_the_environment(tmp_path):
    default = _database_settings(tmp_path)
    assert default["CONN_MAX_AGE"] == 0  # no connection kept per thread
    assert default["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10, "max_lifetime": 60}
    sized = _database_settings(
        tmp_path,
        DATABASE_POOL_MAX_SIZE="30",
        DATABASE_POOL_MIN_SIZE="5",
        DATABASE_POOL_TIMEOUT="3",
        DATABASE_CONN_MAX_AGE="600",
    )
    assert sized["OPTIONS"]["pool"] == {"min_size": 5, "max_size": 30, "timeout": 3, "max_lifetime": 600}
    unpooled = _database_settings(tmp_path, DATABASE_CONN_MAX_AGE="0")
    assert unpooled["CONN_MAX_AGE"] == 0 and "pool" not in unpooled.get("OPTIONS", {})


def test_a_pool_whose_minimum_exceeds_its_maximum_stops_the_start(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_URL", "CI"))}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            **base,
            "EVFLEET_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://u@db.invalid:5432/x",
            "DATABASE_POOL_MAX_SIZE": "4",
            "DATABASE_POOL_MIN_SIZE": "8",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DATABASE_POOL_MIN_SIZE=8 is above the maximum of 4" in result.stderr
