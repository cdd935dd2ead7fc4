from datetime import UTC, datetime
from decimal import Decimal

import factory

from accounts.tests.factories import DepartmentFactory
from pricing.models import Customer, Tariff, TariffVersion

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
