from datetime import UTC, datetime

import factory
from django.utils import timezone

from charging.models import ChargingSession
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory


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
