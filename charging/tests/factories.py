from datetime import UTC, datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import DepartmentFactory
from charging.models import ChargingSession, Customer, Tariff, TariffVersion
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

DAY_NIGHT = [
    {
        "price_components": [{"type": "ENERGY", "price": "0.20"}],
        "restrictions": {"start_time": "22:00", "end_time": "07:00"},
    },
    {"price_components": [{"type": "ENERGY", "price": "0.30"}]},
]


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    department = factory.SubFactory(DepartmentFactory)


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    name = factory.Sequence(lambda n: f"Tariff {n}")
    department = factory.SubFactory(DepartmentFactory)
    currency = "EUR"


class TariffVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffVersion

    tariff = factory.SubFactory(TariffFactory)
    number = factory.Sequence(lambda n: n + 1)
    valid_from = datetime(2026, 1, 1, tzinfo=UTC)
    tax_percent = Decimal("19")
    elements = factory.LazyFunction(lambda: DAY_NIGHT)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChargingSession

    connector = factory.SubFactory(ConnectorFactory)
    charge_point = factory.LazyAttribute(lambda s: s.connector.charge_point)
    transaction_id = factory.Sequence(lambda n: str(1000 + n))
    # as the station's transaction records it: the vehicle's department sees the session too
    vehicle_department = factory.LazyAttribute(lambda s: s.vehicle.department if getattr(s, "vehicle", None) else None)
    status = ChargingSession.Status.COMPLETED
    started_at = datetime(2026, 6, 10, 4, tzinfo=UTC)


def plugged_in(vehicle, *, connector_status="Charging", status=ChargingSession.Status.CHARGING, site=None):
    """An open session of `vehicle` on a connector of its department's station in `connector_status`."""
    site = site or SiteFactory(department=vehicle.department)
    connector = ConnectorFactory(charge_point=ChargePointFactory(site=site, is_connected=True), status=connector_status)
    return SessionFactory(connector=connector, vehicle=vehicle, status=status, started_at=timezone.now())
