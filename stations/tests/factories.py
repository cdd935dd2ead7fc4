from decimal import Decimal

import factory

from accounts.tests.factories import DepartmentFactory
from stations.models import ChargePoint, Connector, Site


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Depot {n}")
    department = factory.SubFactory(DepartmentFactory)
    latitude = 52.5
    longitude = 13.4
    time_zone = "Europe/Berlin"
    grid_limit_kw = Decimal("400.0")


class ChargePointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChargePoint

    identity = factory.Sequence(lambda n: f"CP-{n:03d}")
    site = factory.SubFactory(SiteFactory)
    heartbeat_interval_s = 60


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector

    charge_point = factory.SubFactory(ChargePointFactory)
    evse_id = factory.Sequence(lambda n: n + 1)
    connector_id = 1
    connector_type = "ccs2"
    current_type = "dc"
    max_power_kw = Decimal("150.0")
    max_current_a = 375
    nominal_voltage_v = 400
