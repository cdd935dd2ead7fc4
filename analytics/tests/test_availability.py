"""Connector availability: the connector's endpoint and the analytics rollups give the same figure (one
definition, `stations.status.availability`; docs/architecture.md, Stations)."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest

from analytics.models import ConnectorDay
from analytics.rollup import rollup_range
from stations import detection, services
from stations.models import ChargePoint
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


def local(day: int, hour: int) -> datetime:
    """Berlin local time in February 2026 (CET, UTC+1) as a UTC instant."""
    return datetime(2026, 2, day, hour, tzinfo=UTC) - timedelta(hours=1)


def test_the_connector_endpoint_and_analytics_give_the_same_availability_for_the_same_week(org, api):
    """The local week Monday 2 to Sunday 8 February 2026 at a Berlin site with one connector, 168 h:

    - it existed before its history starts: its first status is Available on Wednesday 11:00, so Monday 00:00
      to Wednesday 11:00 counts as down (Unknown, no status yet): 59 h; a session Wednesday 14:00-16:00 is up;
    - the station goes silent: the watchdog marks it offline (its connector Unknown) on Thursday 20:00 and it
      reports Available again on Friday 14:00: 18 h down;
    - Faulted on Saturday 10:00-13:00: 3 h down;
    - a maintenance window on Sunday 09:00-12:00 while the connector still says Available, and a fault
      11:00-13:00: 09:00-13:00 down, 4 h (the overlap counted once).
    Down 59 + 18 + 3 + 4 = 84 h, available 84 h: 50 %. By local day: Mon 0, Tue 0, Wed 13, Thu 20, Fri 10,
    Sat 21, Sun 20 hours.
    """
    site = SiteFactory(department=org.a, name="Availability depot", time_zone="Europe/Berlin")
    charge_point = ChargePointFactory(site=site, heartbeat_interval_s=60)
    connector = ConnectorFactory(charge_point=charge_point, evse_id=1)

    def status(at: datetime, value: str, error_code: str = "NoError") -> None:
        services.connector_status_update(
            charge_point_id=charge_point.pk, evse_id=1, connector_id=1, status=value, error_code=error_code,
            timestamp=at,
        )  # fmt: skip

    status(local(4, 11), "Available")
    status(local(4, 14), "Charging")
    status(local(4, 16), "Available")
    ChargePoint.objects.filter(pk=charge_point.pk).update(
        is_connected=True, last_seen_at=local(5, 20) - timedelta(seconds=150)
    )
    with mock.patch("django.utils.timezone.now", return_value=local(5, 20)):
        assert detection.check_heartbeats() == 1  # the watchdog, at Thursday 20:00
    status(local(6, 14), "Available")
    status(local(7, 10), "Faulted", "GroundFailure")
    status(local(7, 13), "Available")
    services.maintenance_window_create(
        actor=None, charge_point=charge_point, starts_at=local(8, 9), ends_at=local(8, 12), reason="inspection"
    )
    status(local(8, 11), "Faulted", "GroundFailure")
    status(local(8, 13), "Available")

    client = api(org.fleet_manager_a)
    week = {"start": local(2, 0).isoformat(), "end": local(9, 0).isoformat()}
    endpoint = client.get(f"/api/v1/connectors/{connector.pk}/availability/", week).json()
    assert (endpoint["available_seconds"], endpoint["period_seconds"]) == (84 * 3600, 168 * 3600)
    assert endpoint["availability_percent"] == 50.0

    rollup_range(date(2026, 2, 2), date(2026, 2, 8), now=datetime(2026, 3, 1, tzinfo=UTC))
    query = "period=custom&start=2026-02-02&end=2026-02-08&metrics=connector_availability_percent&grouping=site"
    report = client.get(f"/api/v1/analytics/report/?{query}").json()
    assert {row["label"]: row["connector_availability_percent"] for row in report["rows"]} == {
        "Availability depot": 50.0
    }

    days = {row.day.day: row.available_hours for row in ConnectorDay.objects.filter(connector=connector)}
    assert days == {2: 0.0, 3: 0.0, 4: 13.0, 5: 20.0, 6: 10.0, 7: 21.0, 8: 20.0}
    for day, hours in days.items():
        one_day = {"start": local(day, 0).isoformat(), "end": local(day + 1, 0).isoformat()}
        figure = client.get(f"/api/v1/connectors/{connector.pk}/availability/", one_day).json()
        assert figure["available_seconds"] / 3600 == hours, day
