"""The readiness board in the fleet benchmark (`manage.py bench_fleet`, registered through fleet/bench.py from
`DispatchConfig.ready()`): on the benchmark fleet, a depot per leaf department with its chargers, every vehicle
based there with a trip tomorrow morning, one in ten plugged in; then the board's first page (100 rows), as the
fleet's manager, timed and its queries counted. Target: p95 within 300 ms, a constant number of queries."""

import statistics
from datetime import timedelta
from decimal import Decimal
from time import perf_counter

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from charging.models import ChargingSession
from operations.models import Trip, VehicleDepot
from stations.models import ChargePoint, Connector, Site

TARGET_P95_MS = 300.0
SITE_PREFIX = "Bench readiness"
CHARGE_POINTS_PER_DEPOT = 20
CONNECTORS_PER_CHARGE_POINT = 10
PLUGGED_IN_EVERY = 10  # one vehicle in ten is on a charger


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _build(fleet, departments, log) -> dict:
    """Depots, chargers, home depots, a trip per vehicle and the sessions (trips and sessions anew each run)."""
    now = timezone.now()
    leaves = [d for name, d in departments.items() if "Depot" in name]
    with transaction.atomic():
        sites = {}
        for department in leaves:
            site, made = Site.objects.get_or_create(
                department=department, name=f"{SITE_PREFIX} {department.name}",
                defaults={"latitude": 52.5, "longitude": 10.0, "time_zone": "Europe/Berlin",
                          "grid_limit_kw": Decimal("2000")},
            )  # fmt: skip
            if made:
                points = ChargePoint.objects.bulk_create(
                    ChargePoint(site=site, identity=f"BR-{site.pk}-{n:02d}", heartbeat_interval_s=60)
                    for n in range(CHARGE_POINTS_PER_DEPOT)
                )
                Connector.objects.bulk_create(
                    Connector(
                        charge_point=cp,
                        evse_id=e + 1,
                        connector_id=1,
                        connector_type="type2",
                        current_type="ac",
                        max_power_kw=Decimal("22"),
                        max_current_a=32,
                        nominal_voltage_v=400,
                        status="Available",
                    )  # fmt: skip
                    for cp in points
                    for e in range(CONNECTORS_PER_CHARGE_POINT)
                )
            sites[department.pk] = site
        vehicles = list(fleet.order_by("pk").values_list("pk", "department_id"))
        VehicleDepot.objects.bulk_create(
            [VehicleDepot(vehicle_id=pk, site=sites[dep]) for pk, dep in vehicles if dep in sites],
            ignore_conflicts=True,
        )
        ChargingSession.objects.filter(charge_point__site__in=sites.values()).delete()
        Trip.objects.filter(vehicle__in=fleet).delete()
        tomorrow = (now + timedelta(days=1)).replace(hour=4, minute=0, second=0, microsecond=0)
        trips = []
        for n, (pk, dep) in enumerate(vehicles):
            if dep not in sites:
                continue
            departs = tomorrow + timedelta(minutes=n % 240)
            trips.append(Trip(department_id=dep, vehicle_id=pk, depot=sites[dep], departs_at=departs,
                              returns_at=departs + timedelta(hours=8), distance_km=60 + n % 140,
                              required_soc_percent=30.0 + n % 60, need_computed_at=now))  # fmt: skip
        Trip.objects.bulk_create(trips, batch_size=2000)
        connectors = {
            site_id: list(Connector.objects.filter(charge_point__site_id=site_id).select_related("charge_point"))
            for site_id in {s.pk for s in sites.values()}
        }
        sessions, used = [], {}
        for n, (pk, dep) in enumerate(vehicles):
            if dep not in sites or n % PLUGGED_IN_EVERY:
                continue
            site_id = sites[dep].pk
            index = used.get(site_id, 0)
            if index >= len(connectors[site_id]):
                continue
            used[site_id] = index + 1
            connector = connectors[site_id][index]
            sessions.append(ChargingSession(charge_point=connector.charge_point, connector=connector, vehicle_id=pk,
                                            vehicle_department_id=dep, transaction_id=f"bench-{pk}",
                                            status=ChargingSession.Status.CHARGING,
                                            started_at=now - timedelta(hours=1)))  # fmt: skip
        ChargingSession.objects.bulk_create(sessions, batch_size=2000)
    if connection.vendor == "postgresql":
        # fresh statistics for the rows just bulk-loaded, as autovacuum gathers them on a live database (without them
        # the planner takes 10,000 new trips for a handful and picks nested loops)
        with connection.cursor() as cursor:
            for model in (Trip, VehicleDepot, ChargingSession):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    log(f"  readiness board: {len(sites)} depots, {len(trips)} trips, {len(sessions)} vehicles plugged in")
    return {"depots": len(sites), "trips": len(trips), "plugged_in": len(sessions)}


def readiness_board(*, fleet, departments, manager, requests: int, warmup: int, log) -> dict:
    built = _build(fleet, departments, log)
    client = Client()
    client.force_login(manager)
    timings, counts, rows = [], set(), 0
    for number in range(warmup + requests):
        with CaptureQueriesContext(connection) as queries:
            started = perf_counter()
            response = client.get("/dispatch/")
            elapsed = (perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET /dispatch/ answered {response.status_code}")
        if number < warmup:
            continue
        timings.append(elapsed)
        counts.add(len(queries))
        rows = response.content.count(b"<tr data-vehicle-id=")
    p95 = _percentile(timings, 0.95)
    return {
        **built,
        "page_rows": rows,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(p95, 1),
        "queries": sorted(counts),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": p95 <= TARGET_P95_MS and len(counts) == 1,
    }
