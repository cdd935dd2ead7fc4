"""A small world for the API fuzz: one or two objects of every kind the API serves, in two departments.

Department A holds the fleet manager who fuzzes (and a team below it), department B is out of that
manager's scope, so drawn ids reach both objects the caller may see and objects that must answer 404.
Built with the factories and the ORM: it is data to read and write, not a story.
"""

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Department, User
from analytics.models import CarbonIntensity, CarbonOffset, CarbonZone, IceBaseline, ReportRun, SavedReport
from charging.models import (
    ChargingPlan,
    ChargingSession,
    Circuit,
    IdToken,
    MeterSample,
    Reservation,
    ReservationDecision,
    ReservationPolicy,
)
from charging.tests.factories import SessionFactory
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory
from notifications.models import Notification
from operations import services as operations
from operations.models import DutySchedule, OperationsPolicy, Route, RouteStop, VehicleDepot
from pricing.models import Contract, GridSignal, HolidayCalendar, LoadPricing, PriceInterval
from pricing.tests.factories import CustomerFactory, TariffFactory, TariffVersionFactory
from routing.models import PlanJob, RoutePlan
from stations.models import Alert, ConnectorStatusChange, MaintenanceWindow, OcppCommand, OcppMessage
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory


@dataclass
class World:
    admin: User
    manager: User


def _department_world(department: Department, user: User, tag: str) -> None:
    now = timezone.now().replace(microsecond=0)
    zone, _ = CarbonZone.objects.get_or_create(
        code="DE", defaults={"name": "Germany", "gco2e_per_kwh": 380.0, "renewable_percent": 52.0}
    )
    calendar, _ = HolidayCalendar.objects.get_or_create(name="Berlin", defaults={"country": "DE", "subdivision": "BE"})
    site = SiteFactory(department=department, name=f"Depot {tag}", carbon_zone=zone, holiday_calendar=calendar)
    ReservationPolicy.objects.create(site=site)
    circuit = Circuit.objects.create(site=site, name=f"Feeder {tag}", max_power_kw=Decimal("250"))
    charge_point = ChargePointFactory(identity=f"FUZZ-{tag}-01", site=site, circuit=circuit)
    ChargePointFactory(identity=f"FUZZ-{tag}-02", site=site, protocol="ocpp1.6")  # has connected once
    dc = ConnectorFactory(charge_point=charge_point, evse_id=1)
    ac = ConnectorFactory(
        charge_point=charge_point,
        evse_id=2,
        connector_type="type2",
        current_type="ac",
        max_power_kw=Decimal("22.0"),
        max_current_a=32,
    )
    vehicles = [VehicleFactory(department=department) for _ in range(2)]
    vehicle = vehicles[0]
    TelemetryPointFactory(vehicle=vehicle, recorded_at=now - timedelta(hours=1))

    tariff = TariffFactory(department=department, site=site)
    TariffVersionFactory(tariff=tariff, number=1)
    customer = CustomerFactory(department=department)
    Contract.objects.create(
        customer=customer, name="Discount", kind=Contract.Kind.DISCOUNT, valid_from=now, discount_percent=10
    )
    LoadPricing.objects.create(site=site, curve=[["0", "0.90"], ["100", "1.60"]])
    IdToken.objects.create(token=f"RFID-FUZZ-{tag}", department=department, vehicle=vehicle)
    GridSignal.objects.create(
        site=site, starts_at=now, ends_at=now + timedelta(hours=1), price_per_kwh=Decimal("0.21"), source="fuzz"
    )
    PriceInterval.objects.create(
        site=site,
        starts_at=now - timedelta(minutes=15),
        ends_at=now,
        site_load_kw=Decimal("40"),
        load_percent=Decimal("10"),
        multiplier=Decimal("1.0"),
    )

    SessionFactory(
        connector=dc,
        vehicle=vehicle,
        customer=customer,
        started_at=now - timedelta(hours=5),
        ended_at=now - timedelta(hours=4),
        energy_kwh=30.0,
    )
    running = SessionFactory(
        connector=ac,
        vehicle=vehicles[1],
        status=ChargingSession.Status.CHARGING,
        started_at=now - timedelta(minutes=30),
        departure_at=now + timedelta(hours=8),
    )
    MeterSample.objects.create(connector=ac, session=running, sampled_at=now, energy_wh=4000.0, power_kw=11.0)
    ConnectorStatusChange.objects.create(connector=dc, status="Available", changed_at=now - timedelta(hours=4))
    MaintenanceWindow.objects.create(
        charge_point=charge_point, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=2),
        reason="Inspection",
    )  # fmt: skip
    Alert.objects.create(
        kind="connector_fault", severity="warning", charge_point=charge_point, connector=dc,
        message="Fault", opened_at=now, last_seen_at=now,
    )  # fmt: skip
    OcppCommand.objects.create(charge_point=charge_point, action="Reset", request={"type": "Soft"}, state="offline")
    OcppMessage.objects.create(
        charge_point=charge_point, identity=charge_point.identity, direction="in", message_type=2,
        action="Heartbeat", unique_id="1", payload={}, raw='[2,"1","Heartbeat",{}]', logged_at=now,
    )  # fmt: skip

    reservation = Reservation.objects.create(
        vehicle=vehicle, site=site, connector=dc, starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2), priority_class="normal", status=Reservation.Status.CONFIRMED,
        created_by=user,
    )  # fmt: skip
    ReservationDecision.objects.create(reservation=reservation, action="confirmed", reason="free", actor=None)
    ChargingPlan.objects.create(
        site=site, trigger=ChargingPlan.Trigger.MANUAL, starts_at=now, intervals=4, status="optimal", solve_ms=3
    )

    CarbonIntensity.objects.get_or_create(
        zone=zone, hour_start=now.replace(minute=0, second=0), defaults={"gco2e_per_kwh": 300.0}
    )
    CarbonOffset.objects.create(
        department=department, registry="Gold Standard", project="Cookstoves", serial_number=f"GS-{tag}",
        quantity_t_co2e=Decimal("2.5"), vintage=2025, retired_on=now.date(), price_total=Decimal("40"), currency="EUR",
    )  # fmt: skip
    report = SavedReport.objects.create(
        name=f"Energy {tag}", owner=user, department=department, metrics=["sessions", "energy_charged_kwh"],
        grouping="site", period="last_7_days",
    )  # fmt: skip
    ReportRun.objects.create(report=report, trigger="manual", status="generated", format="csv")
    Notification.objects.create(user=user, event="session.completed", title="Session completed", dedup_key=tag)

    # operations (issue 17): a route with stops, a vehicle's depot, a policy, a duty schedule and a planned trip
    OperationsPolicy.objects.create(department=department, reserve_percent=12.0)
    VehicleDepot.objects.create(vehicle=vehicle, site=site)
    route = Route.objects.create(department=department, name=f"Round {tag}", road_mix="urban", distance_km=42.0)
    RouteStop.objects.create(route=route, sequence=1, name="Market", latitude=52.51, longitude=13.41)
    DutySchedule.objects.create(
        department=department, name=f"Early {tag}", vehicle=vehicles[1], depot=site, departs_local=time(6, 30),
        returns_local=time(15, 0), distance_km=140.0, valid_from=now.date() + timedelta(days=90),
    )  # fmt: skip
    operations.trip_create(
        actor=None, vehicle=vehicle, depot=site, route=route, departs_at=now + timedelta(days=3),
        returns_at=now + timedelta(days=3, hours=6),
    )  # fmt: skip

    # routing (issue 18): a route plan in draft with one job
    plan = RoutePlan.objects.create(
        department=department, name=f"Deliveries {tag}", depot=site, service_date=now.date() + timedelta(days=4),
        day_starts=time(6, 0), day_ends=time(20, 0), created_by=user,
    )  # fmt: skip
    plan.vehicles.set([vehicle])
    PlanJob.objects.create(
        plan=plan, sequence=1, name="Bakery", latitude=52.52, longitude=13.41, demand_kg=50.0, service_minutes=10,
        window_start=now + timedelta(days=4, hours=1), window_end=now + timedelta(days=4, hours=5),
    )  # fmt: skip


def build_world(org) -> World:
    """Objects of every kind in department A (the fleet manager's) and B (not theirs)."""
    if not IceBaseline.objects.exists():
        IceBaseline.objects.create(vehicle_class="van", fuel="diesel", litres_per_100km=9, kg_co2e_per_litre=2.65)
    _department_world(org.a, org.fleet_manager_a, "A")
    _department_world(org.b, org.fleet_manager_b, "B")
    Notification.objects.create(user=org.admin, event="session.failed", title="Session failed", dedup_key="admin")
    return World(admin=org.admin, manager=org.fleet_manager_a)
