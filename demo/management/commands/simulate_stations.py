import asyncio
import contextlib
import logging
import os
import signal

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from charging.models import IdToken
from demo.fleet import DepotFleet, StepReport
from stations.models import ChargePoint
from stations.simulator import Behaviour, ConnectorSpec, Fleet, StationPool, StationSpec, run_stations

logger = logging.getLogger(__name__)


def spread_over_sites(stations: list[ChargePoint], limit: int) -> list[ChargePoint]:
    """At most `limit` stations, taken in turn from each site (the first of every depot, then the second...), so
    that a few simulated stations still serve every depot's fleet."""
    by_site: dict[int, list[ChargePoint]] = {}
    for cp in stations:
        by_site.setdefault(cp.site_id, []).append(cp)
    chosen, rank = [], 0
    while len(chosen) < limit and any(len(group) > rank for group in by_site.values()):
        chosen += [group[rank] for group in by_site.values() if len(group) > rank][: limit - len(chosen)]
        rank += 1
    return chosen


def own_fleet_tags(site_ids: list[int]) -> dict[int, list[str]]:
    """Each site's tags for random plug-ins (--no-fleet): its based vehicles' active tags, else (a site no vehicle
    is based at, such as a corridor site of the whole organisation) those of the vehicles of the site's
    department and its teams."""
    tags: dict[int, list[str]] = {}
    based = IdToken.objects.filter(is_active=True, vehicle__depot__site_id__in=site_ids).values_list(
        "vehicle__depot__site_id", "token"
    )
    for site_id, token in based:
        tags.setdefault(site_id, []).append(token)
    for cp_site_id, path in ChargePoint.objects.filter(site_id__in=set(site_ids) - set(tags)).values_list(
        "site_id", "site__department__path"
    ):
        tags[cp_site_id] = list(
            IdToken.objects.filter(is_active=True, vehicle__department__path__startswith=path).values_list(
                "token", flat=True
            )
        )
    return tags


class Command(BaseCommand):
    help = (
        "Run simulated charge points (real OCPP clients) against the server: registered stations without a "
        "password. With the simulated fleet (the default), the vehicles based at their depots follow their trips: "
        "they leave at each departure (unplugged), report their position and SoC on the road, come back and plug "
        "in at a free compatible connector of their own depot."
    )

    def add_arguments(self, parser):
        port = os.environ.get("EVFLEET_PORT", "8000")
        parser.add_argument("--url", default=f"ws://127.0.0.1:{port}", help="Server base URL (ws://host:port).")
        parser.add_argument("--prefix", default="SIM-", help="Only stations whose identity starts with this.")
        parser.add_argument(
            "--limit", type=int, default=0, help="At most this many stations, taken in turn from each depot (0: all)."
        )
        parser.add_argument("--duration", type=float, default=0, help="Stop after this many seconds (0: until Ctrl-C).")
        parser.add_argument("--meter-interval", type=float, default=15.0, help="Seconds between meter values.")
        parser.add_argument("--heartbeat", type=float, default=60.0, help="Seconds between heartbeats.")
        parser.add_argument(
            "--no-fleet",
            action="store_true",
            help="No simulated fleet: vehicles of each depot's own fleet plug in at random and trips are not followed.",
        )
        parser.add_argument(
            "--fleet-interval", type=float, default=30.0, help="Seconds between the simulated fleet's steps."
        )

    def handle(self, *args, url, prefix, limit, duration, meter_interval, heartbeat, no_fleet, fleet_interval, **kw):
        stations = list(
            ChargePoint.objects.filter(identity__startswith=prefix, password_hash="")
            .order_by("site_id", "identity")
            .prefetch_related("connectors")
        )
        if limit:
            stations = spread_over_sites(stations, limit)
        site_ids = sorted({cp.site_id for cp in stations})
        tags = {} if not no_fleet else own_fleet_tags(site_ids)
        specs = [
            StationSpec(
                identity=cp.identity,
                protocol=cp.protocol or ("ocpp2.0.1" if i % 3 == 2 else "ocpp1.6"),
                connectors=[ConnectorSpec(c.evse_id, float(c.max_power_kw)) for c in cp.connectors.all()],
                id_tags=tags.get(cp.site_id, []),
            )
            for i, cp in enumerate(stations)
        ]
        if not specs:
            raise CommandError(
                f"No station without a password has an identity starting with {prefix!r}; run seed_demo."
            )
        fleet = None if no_fleet else DepotFleet(site_ids)
        self.stdout.write(
            f"Simulating {len(specs)} stations against {url}"
            + (" with the vehicles based at their depots" if fleet else "")
            + " (Ctrl-C stops)."
        )
        behaviour = Behaviour(heartbeat_s=heartbeat, meter_s=meter_interval)
        asyncio.run(self._run(url, specs, behaviour, duration, fleet, fleet_interval))

    async def _run(self, url, specs, behaviour, duration, fleet: DepotFleet | None, fleet_interval: float):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if duration:
            loop.call_later(duration, stop.set)
        pool = StationPool()
        hooks = None
        stepper = None
        if fleet is not None:
            hooks = Fleet(
                choose_vehicle=sync_to_async(fleet.choose_vehicle), vehicle_for_tag=sync_to_async(fleet.vehicle_for_tag)
            )
            stepper = asyncio.ensure_future(self._fleet_loop(fleet, pool, stop, fleet_interval))
        stats = await run_stations(
            url, specs, behaviour, stop, ramp_s=min(5.0, len(specs) * 0.05), fleet=hooks, pool=pool
        )
        if stepper is not None:
            await asyncio.gather(stepper, return_exceptions=True)
        self.stdout.write(f"Stopped: {stats.calls} messages sent, {stats.errors} failed.")

    async def _fleet_loop(self, fleet: DepotFleet, pool: StationPool, stop: asyncio.Event, interval: float):
        await asyncio.sleep(min(interval, 5.0))  # the stations connect first
        while not stop.is_set():
            try:
                await sync_to_async(close_old_connections)()  # a long-running process: no stale connection
                report = await fleet_tick(fleet, pool, timezone.now())
                if report.departed or report.returned or report.cancelled:
                    self.stdout.write(
                        f"Simulated fleet: {len(report.departed)} left, {report.moving} on the road, "
                        f"{len(report.returned)} back, {len(report.cancelled)} missed trip(s) cancelled."
                    )
            except Exception:  # the fleet keeps going: the next step retries
                logger.exception("simulated fleet: step failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


async def fleet_tick(fleet: DepotFleet, pool: StationPool, now) -> StepReport:
    """One step of the simulated fleet: the vehicles leaving now are unplugged (their stations end the
    transactions), then the trips move on (departures, positions, returns)."""
    for tag in await sync_to_async(fleet.departures_due)(now):
        await pool.unplug(tag)
    return await sync_to_async(fleet.step)(now)
