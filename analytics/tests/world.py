"""A small fleet whose figures are computed by hand below (EXPECTED), shared by the metric, API, page, export and
report tests.

Org A (Europe/Berlin, UTC+1 in January) has site S1 (grid zone DE, limit 100 kW, connectors C1 and C2) and
Team A1 has site S2 (no zone: the default 250 g/kWh, limit 50 kW, connector C3). Org B's site and vehicle must
never show in Org A's figures. The period is 10-11 January 2026 (local days).

Sessions (all priced in EUR):
- s1: V1 (van, Org A) on C1, 09:00-11:00 UTC on the 10th, 40 kWh, 12.00. Spread evenly: 20 kWh in the 09:00
  hour (hourly DE intensity 400 g, 40 % renewable) and 20 kWh in the 10:00 hour (none reported: the zone's
  380 g, 52 %). Emissions 20*400 + 20*380 = 15,600 g; renewable 8 + 10.4 = 18.4 kWh.
- s2: V2 (car, Team A1) on C2, 10:00-10:30 UTC on the 10th, 10 kWh, 4.50: 3,800 g, 5.2 kWh renewable.
- s3: V2 on C3 (S2), 07:00-08:00 UTC on the 11th, 20 kWh, 7.00: 20 * 250 = 5,000 g, nothing renewable.
- a failed session on C1 (no energy) does not count; s5 (V3, Org B) is Org B's.
S1's demand: 20 kW from 09:00, 40 kW from 10:00 to 10:30 (both sessions), so its peak is 40 kW = 40 % of 100.
S2's peak: 20 kW = 40 % of 50.
Connector hours: S1 has 2 connectors * 48 h = 96, in use 2 + 0.5 = 2.5 h; every connector reported Available on
1 January (before its first status a connector counts as down), C2 was Faulted 11:00-17:00 UTC on the 11th, so
90 h available. S2: 48 h, 1 h in use, 48 available.

Telemetry: V1 on the 10th drives 1000 -> 1020 -> 1030 km at 06:00, 06:30, 07:00 UTC with -20 then -10 kW:
30 km and 20*0.5 + 10*0.5 = 15 kWh. V2 on the 11th: 500 -> 560 km, -12 kW for an hour: 60 km, 12 kWh.
Combustion baselines (migration 0002): van 8.5 l/100 km * 2.68 kg/l = 227.8 g/km; car 6.5 * 2.31 = 150.15 g/km.
V1: 30 * 227.8 = 6,834 g; V2: 60 * 150.15 = 9,009 g. Offsets: Org A retired 0.010 t on the 11th.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import import_module

from django.apps import apps as django_apps

from analytics.models import CarbonIntensity, CarbonOffset, CarbonZone
from analytics.periods import Period
from analytics.rollup import rollup_range
from charging.models import ChargingSession
from charging.tests.factories import SessionFactory
from fleet.models import TelemetryPoint, VehicleModel
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from stations.models import ConnectorStatusChange
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

PERIOD = Period(date(2026, 1, 10), date(2026, 1, 11))
NOW = datetime(2026, 2, 1, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


EXPECTED = {
    "total": {
        "sessions": 3,
        "energy_charged_kwh": 70.0,
        "cost": Decimal("23.50"),
        "distance_km": 90.0,
        "energy_consumed_kwh": 27.0,
        "cost_per_km": Decimal("0.261"),  # 23.50 / 90
        "efficiency_kwh_per_100km": 30.0,
        "charging_emissions_kg": 24.4,
        "renewable_share_percent": 33.7,  # 23.6 / 70
        "ice_baseline_kg": 15.8,  # 6.834 + 9.009
        "avoided_emissions_kg": -8.6,  # 15.843 - 24.4
        "gco2e_per_km": 271.1,  # 24,400 / 90
        "offsets_kg": 10.0,
        "net_emissions_kg": 14.4,
        "connector_utilization_percent": 2.4,  # 3.5 / 144
        "connector_availability_percent": 95.8,  # 138 / 144
        "peak_demand_kw": 40.0,
        "peak_of_grid_limit_percent": 40.0,
    },
    "vehicle": {
        "V1": {"energy_charged_kwh": 40.0, "cost": Decimal("12.00"), "distance_km": 30.0,
               "cost_per_km": Decimal("0.400"), "efficiency_kwh_per_100km": 50.0, "sessions": 1},
        "V2": {"energy_charged_kwh": 30.0, "cost": Decimal("11.50"), "distance_km": 60.0,
               "cost_per_km": Decimal("0.192"), "efficiency_kwh_per_100km": 20.0, "sessions": 2},
    },
    "site": {
        "S1": {"connector_utilization_percent": 2.6, "connector_availability_percent": 93.8,  # 2.5/96, 90/96
               "peak_demand_kw": 40.0, "energy_charged_kwh": 50.0, "sessions": 2},
        "S2": {"connector_utilization_percent": 2.1, "connector_availability_percent": 100.0,  # 1/48
               "peak_demand_kw": 20.0, "energy_charged_kwh": 20.0, "sessions": 1},
    },
    "day": {
        "2026-01-10": {"sessions": 2, "energy_charged_kwh": 50.0, "cost": Decimal("16.50")},
        "2026-01-11": {"sessions": 1, "energy_charged_kwh": 20.0, "cost": Decimal("7.00")},
    },
}  # fmt: skip


class World:
    pass


def build_world(org) -> World:
    w = World()
    w.org = org
    w.period = PERIOD
    # the zones and baselines a migration loads (a transactional test's flush removed them: load them again)
    seed = import_module("analytics.migrations.0002_default_factors").seed
    seed(django_apps, None)
    de = CarbonZone.objects.get(code="DE")
    CarbonIntensity.objects.create(zone=de, hour_start=at(10, 9), gco2e_per_kwh=400.0, renewable_percent=40.0)
    w.s1 = SiteFactory(name="S1", department=org.a, carbon_zone=de, grid_limit_kw=Decimal("100"))
    w.s2 = SiteFactory(name="S2", department=org.a1, grid_limit_kw=Decimal("50"))
    w.s3 = SiteFactory(name="S3", department=org.b, grid_limit_kw=Decimal("80"))
    cp1 = ChargePointFactory(site=w.s1, identity="CP-S1")
    w.c1 = ConnectorFactory(charge_point=cp1, evse_id=1)
    w.c2 = ConnectorFactory(charge_point=cp1, evse_id=2)
    w.c3 = ConnectorFactory(charge_point=ChargePointFactory(site=w.s2, identity="CP-S2"), evse_id=1)
    c4 = ConnectorFactory(charge_point=ChargePointFactory(site=w.s3, identity="CP-S3"), evse_id=1)
    for connector in (w.c1, w.c2, w.c3, c4):
        ConnectorStatusChange.objects.create(
            connector=connector, status="Available", changed_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
    ConnectorStatusChange.objects.create(connector=w.c2, status="Faulted", changed_at=at(11, 11))
    ConnectorStatusChange.objects.create(connector=w.c2, status="Available", changed_at=at(11, 17))

    van = VehicleModelFactory(name="eVan", vehicle_class=VehicleModel.VehicleClass.VAN)
    car = VehicleModelFactory(name="eCar", vehicle_class=VehicleModel.VehicleClass.CAR)
    w.v1 = VehicleFactory(fleet_number="V1", department=org.a, vehicle_model=van)
    w.v2 = VehicleFactory(fleet_number="V2", department=org.a1, vehicle_model=car)
    w.v3 = VehicleFactory(fleet_number="V3", department=org.b, vehicle_model=van)

    def session(connector, vehicle, start, end, kwh, cost, status=ChargingSession.Status.COMPLETED):
        return SessionFactory(
            connector=connector, vehicle=vehicle, started_at=start, ended_at=end, energy_kwh=kwh,
            currency="EUR", cost_total=Decimal(cost), status=status,
        )  # fmt: skip

    session(w.c1, w.v1, at(10, 9), at(10, 11), 40.0, "12.00")
    session(w.c2, w.v2, at(10, 10), at(10, 10, 30), 10.0, "4.50")
    session(w.c3, w.v2, at(11, 7), at(11, 8), 20.0, "7.00")
    session(w.c1, w.v1, at(10, 12), at(10, 12), 0.0, "0", status=ChargingSession.Status.FAILED)  # refused at once
    session(c4, w.v3, at(10, 9), at(10, 10), 30.0, "9.00")

    points = [
        (w.v1, at(10, 6), 1000.0, -20.0), (w.v1, at(10, 6, 30), 1020.0, -10.0), (w.v1, at(10, 7), 1030.0, 0.0),
        (w.v2, at(11, 8), 500.0, -12.0), (w.v2, at(11, 9), 560.0, 0.0),
        (w.v3, at(10, 8), 10.0, -30.0), (w.v3, at(10, 9), 90.0, 0.0),
    ]  # fmt: skip
    TelemetryPoint.objects.bulk_create(
        TelemetryPoint(vehicle=v, recorded_at=t, odometer_km=odo, power_kw=p, soc_percent=50.0)
        for v, t, odo, p in points
    )
    CarbonOffset.objects.create(
        department=org.a, registry="Gold Standard", project="Cookstoves", quantity_t_co2e=Decimal("0.010"),
        vintage=2024, retired_on=date(2026, 1, 11),
    )  # fmt: skip
    CarbonOffset.objects.create(
        department=org.b, registry="Verra", quantity_t_co2e=Decimal("5"), vintage=2024, retired_on=date(2026, 1, 11)
    )
    rollup_range(PERIOD.first, PERIOD.last, now=NOW)
    return w
