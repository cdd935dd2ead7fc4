"""Benchmark of the OCPP central system: N simulated charge points against a real server.

It starts the ASGI server (uvicorn, in a subprocess with this environment: PostgreSQL and the Redis
channel layer when DATABASE_URL / REDIS_URL are set), connects N stations that each send a heartbeat
and meter values every 10 s and toggle a connector's status now and then, watches a signed-in
dashboard socket, and prints a JSON summary: messages handled per second, server CPU, and the latency
from a StatusNotification leaving the station to the dashboard receiving the change (p50/p95).
"""

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal

import websockets
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Department, User
from accounts.services import department_create, user_create
from stations.models import ChargePoint, Connector, Site
from stations.simulator import Behaviour, ConnectorSpec, StationSpec, Stats, run_stations

DEPARTMENT = "Benchmark Stations"
PREFIX = "BENCH-"
TARGET_P95_MS = 250.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(root: int) -> float:
    """CPU of a process and all its descendants (uvicorn's workers), from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(_stat(int(entry))[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0.0
    for pid in tree:
        try:
            total += _cpu_seconds(pid)
        except OSError:
            continue
    return total


class Command(BaseCommand):
    help = "Run N simulated OCPP stations against a fresh server process and print a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--stations", type=int, default=1000)
        parser.add_argument("--duration", type=float, default=60.0, help="Measured seconds, after the ramp-up.")
        parser.add_argument("--ramp", type=float, default=30.0, help="Seconds over which the stations connect.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between heartbeats and meter values.")
        parser.add_argument(
            "--status-every", type=float, default=60.0, help="Seconds between a station's status changes."
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="Server worker processes (one per core, as deployed)."
        )

    def handle(self, *args, stations, duration, ramp, interval, status_every, workers, **options):
        if stations < 1:
            raise CommandError("--stations is at least 1.")
        user, specs = self._prepare(stations)
        self.run_started = timezone.now()
        self.workers = workers
        cookie = self._session_cookie(user)
        port = self._free_port()
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
                "--ws-max-size",
                str(settings.OCPP_MAX_FRAME_BYTES),
                "--no-access-log",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env={**os.environ, "DJANGO_LOG_LEVEL": "WARNING"},
            start_new_session=True,
        )
        try:
            self._wait_until_up(port, server)
            behaviour = Behaviour(
                heartbeat_s=interval,
                meter_s=interval,
                plug_in_chance=0.0,
                fault_chance=0.0,
                status_change_s=status_every,
                validate=False,
            )
            result = asyncio.run(self._run(port, specs, behaviour, cookie, ramp, duration, server.pid))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        result.update(
            {
                "database": connection.vendor,
                "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
                "stations": stations,
                "interval_s": interval,
                "target_p95_ms": TARGET_P95_MS,
            }
        )
        result["meets_target"] = (
            result["connected"] == stations and result["status_to_dashboard_ms"]["p95"] <= TARGET_P95_MS
        )
        self.stdout.write(json.dumps(result, indent=2))

    def _log(self, message: str) -> None:
        self.stderr.write(message)

    def _prepare(self, count: int) -> tuple[User, list[StationSpec]]:
        with transaction.atomic():
            department = Department.objects.filter(name=DEPARTMENT, parent=None).first() or department_create(
                actor=None, name=DEPARTMENT
            )
            site, _ = Site.objects.get_or_create(
                department=department,
                name="Benchmark depot",
                defaults={"latitude": 52.5, "longitude": 13.4, "grid_limit_kw": Decimal("5000.0")},
            )
            # A previous run killed with its server leaves stations marked connected: start clean.
            ChargePoint.objects.filter(identity__startswith=PREFIX).update(is_connected=False, status="offline")
            existing = set(ChargePoint.objects.filter(identity__startswith=PREFIX).values_list("identity", flat=True))
            wanted = [f"{PREFIX}{i:05d}" for i in range(count)]
            new = [ChargePoint(identity=i, site=site, heartbeat_interval_s=60) for i in wanted if i not in existing]
            ChargePoint.objects.bulk_create(new, batch_size=1000)
            points = ChargePoint.objects.filter(identity__in=wanted)
            have = set(Connector.objects.filter(charge_point__in=points).values_list("charge_point_id", "evse_id"))
            Connector.objects.bulk_create(
                [
                    Connector(
                        charge_point=cp,
                        evse_id=evse,
                        connector_id=1,
                        connector_type="type2",
                        current_type="ac",
                        max_power_kw=Decimal("22.0"),
                        max_current_a=32,
                        nominal_voltage_v=400,
                    )
                    for cp in points
                    for evse in (1, 2)
                    if (cp.pk, evse) not in have
                ],
                batch_size=2000,
            )
            user = User.objects.filter(username="bench-stations").first() or user_create(
                actor=None,
                username="bench-stations",
                password=None,
                role=User.Role.FLEET_MANAGER,
                department=department,
            )
        self._log(f"{count} stations ready ({len(new)} created).")
        specs = [
            StationSpec(
                identity=identity,
                protocol="ocpp2.0.1" if i % 4 == 3 else "ocpp1.6",
                connectors=[ConnectorSpec(1, 22.0), ConnectorSpec(2, 22.0)],
            )
            for i, identity in enumerate(wanted)
        ]
        return user, specs

    def _session_cookie(self, user: User) -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.RoleBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    def _free_port(self) -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def _wait_until_up(self, port: int, server) -> None:
        for _ in range(120):
            if server.poll() is not None:
                raise CommandError("The server did not start.")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.25)
        raise CommandError("The server did not answer /healthz within 30 s.")

    async def _run(self, port, specs, behaviour, cookie, ramp, duration, server_pid) -> dict:
        base = f"ws://127.0.0.1:{port}"
        latencies: list[float] = []
        measuring = asyncio.Event()
        stop = asyncio.Event()

        async with websockets.connect(
            f"{base}/ws/dashboard/",
            additional_headers={"Cookie": f"sessionid={cookie}", "Origin": f"http://127.0.0.1:{port}"},
            max_size=None,
        ) as dashboard:
            json.loads(await dashboard.recv())  # hello

            stats = Stats()

            async def listen():
                async for raw in dashboard:
                    received = time.monotonic()
                    message = json.loads(raw)
                    payload = message["payload"]
                    if message["event"] != "station.status" or not payload.get("connector"):
                        continue
                    status = payload["connector"]["status"]
                    key = (payload["identity"], f"{payload['connector']['evse_id']}:{status}")
                    sent = stats.status_sent_at.pop(key, None)
                    if sent is not None and measuring.is_set():
                        latencies.append((received - sent) * 1000)

            stations_task = asyncio.ensure_future(run_stations(base, specs, behaviour, stop, ramp_s=ramp, stats=stats))
            listener = asyncio.ensure_future(listen())
            self._log(f"Connecting {len(specs)} stations over {ramp:.0f} s ...")
            await asyncio.sleep(ramp + behaviour.meter_s)
            connected = ChargePoint.objects.filter(
                identity__startswith=PREFIX, is_connected=True, last_seen_at__gte=self.run_started
            )
            connected_count = await asyncio.to_thread(lambda: connected.count())
            calls_before, errors_before = stats.calls, stats.errors
            stats.answer_ms.clear()
            cpu_before, started = _tree_cpu_seconds(server_pid), time.monotonic()
            client_before = _cpu_seconds(os.getpid())
            measuring.set()
            self._log(f"{connected_count} connected; measuring for {duration:.0f} s ...")
            await asyncio.sleep(duration)
            elapsed = time.monotonic() - started
            cpu = _tree_cpu_seconds(server_pid) - cpu_before
            client_cpu = _cpu_seconds(os.getpid()) - client_before
            calls, errors = stats.calls - calls_before, stats.errors - errors_before
            measuring.clear()
            stop.set()
            await stations_task
            listener.cancel()
        return {
            "connected": connected_count,
            "measured_s": round(elapsed, 1),
            "messages_per_second": round((calls - errors) / elapsed, 1),
            "failed_messages": errors,
            "server_cpu_percent_of_one_core": round(100 * cpu / elapsed, 1),
            "server_workers": self.workers,
            "load_generator_cpu_percent_of_one_core": round(100 * client_cpu / elapsed, 1),
            "answer_ms_by_action": {
                action: {"calls": len(values), "p50": _percentile(values, 0.50), "p95": _percentile(values, 0.95)}
                for action, values in sorted(stats.answer_ms.items())
            },
            "status_to_dashboard_ms": {
                "samples": len(latencies),
                "p50": _percentile(latencies, 0.50),
                "p95": _percentile(latencies, 0.95),
                "mean": round(statistics.fmean(latencies), 1) if latencies else None,
            },
        }
