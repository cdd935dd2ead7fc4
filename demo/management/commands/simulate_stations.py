import asyncio
import os
import signal

from django.core.management.base import BaseCommand, CommandError

from charging.models import IdToken
from stations.models import ChargePoint
from stations.simulator import Behaviour, ConnectorSpec, StationSpec, run_stations


class Command(BaseCommand):
    help = "Run simulated charge points (real OCPP clients) against the server: registered stations without a password."

    def add_arguments(self, parser):
        port = os.environ.get("EVFLEET_PORT", "8000")
        parser.add_argument("--url", default=f"ws://127.0.0.1:{port}", help="Server base URL (ws://host:port).")
        parser.add_argument("--prefix", default="SIM-", help="Only stations whose identity starts with this.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many stations (0: all).")
        parser.add_argument("--duration", type=float, default=0, help="Stop after this many seconds (0: until Ctrl-C).")
        parser.add_argument("--meter-interval", type=float, default=15.0, help="Seconds between meter values.")
        parser.add_argument("--heartbeat", type=float, default=60.0, help="Seconds between heartbeats.")

    def handle(self, *args, url, prefix, limit, duration, meter_interval, heartbeat, **options):
        stations = ChargePoint.objects.filter(identity__startswith=prefix, password_hash="").prefetch_related(
            "connectors"
        )
        if limit:
            stations = stations[:limit]
        tags = list(IdToken.objects.filter(is_active=True).values_list("token", flat=True)[:200])
        specs = [
            StationSpec(
                identity=cp.identity,
                protocol=cp.protocol or ("ocpp2.0.1" if i % 3 == 2 else "ocpp1.6"),
                connectors=[ConnectorSpec(c.evse_id, float(c.max_power_kw)) for c in cp.connectors.all()],
                id_tags=tags,
            )
            for i, cp in enumerate(stations)
        ]
        if not specs:
            raise CommandError(
                f"No station without a password has an identity starting with {prefix!r}; run seed_demo."
            )
        self.stdout.write(f"Simulating {len(specs)} stations against {url} (Ctrl-C stops).")
        behaviour = Behaviour(heartbeat_s=heartbeat, meter_s=meter_interval)
        asyncio.run(self._run(url, specs, behaviour, duration))

    async def _run(self, url, specs, behaviour, duration):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if duration:
            loop.call_later(duration, stop.set)
        stats = await run_stations(url, specs, behaviour, stop, ramp_s=min(5.0, len(specs) * 0.05))
        self.stdout.write(f"Stopped: {stats.calls} messages sent, {stats.errors} failed.")
