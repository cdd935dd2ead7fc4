import random
from decimal import Decimal

import factory

from accounts.tests.factories import DepartmentFactory
from fleet.models import TelemetryPoint, Vehicle, VehicleModel

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def make_vin(n: int) -> str:
    rng = random.Random(n)
    return "WVW" + "".join(rng.choice(_VIN_CHARS) for _ in range(14))


class VehicleModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VehicleModel
        django_get_or_create = ("make", "name", "variant", "model_year")

    make = "Testmake"
    name = factory.Sequence(lambda n: f"Van {n}")
    variant = ""
    model_year = 2024
    vehicle_class = VehicleModel.VehicleClass.VAN
    usable_battery_kwh = Decimal("64.0")
    max_ac_kw = Decimal("11.0")
    max_dc_kw = Decimal("115.0")
    inlets = factory.LazyFunction(lambda: ["type2", "ccs2"])
    consumption_wh_per_km = 240
    v2g_capable = False


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    vin = factory.Sequence(make_vin)
    license_plate = factory.Sequence(lambda n: f"B-EV {n}")
    fleet_number = factory.Sequence(lambda n: f"T-{n:04d}")
    department = factory.SubFactory(DepartmentFactory)
    vehicle_model = factory.SubFactory(VehicleModelFactory)
    status = Vehicle.Status.ACTIVE
    priority_class = Vehicle.PriorityClass.NORMAL


class TelemetryPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TelemetryPoint

    vehicle = factory.SubFactory(VehicleFactory)
    recorded_at = factory.Faker("date_time_this_month", tzinfo=__import__("datetime").UTC)
    soc_percent = 50.0
    power_kw = 0.0
