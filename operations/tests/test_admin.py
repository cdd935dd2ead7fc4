"""Operations in the Django admin: saves go through the services (need computed, stops replaced, audited)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ActivityLog
from fleet.tests.factories import VehicleFactory
from operations.models import Route, Trip
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_a_trip_added_in_the_admin_gets_its_need_and_is_logged(org, client):
    vehicle = VehicleFactory(department=org.a)
    depot = SiteFactory(department=org.a, time_zone="UTC")
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    client.force_login(org.admin)
    form = {
        "department": org.a.pk, "vehicle": vehicle.pk, "depot": depot.pk,
        "departs_at_0": start.strftime("%Y-%m-%d"), "departs_at_1": start.strftime("%H:%M"),
        "returns_at_0": start.strftime("%Y-%m-%d"), "returns_at_1": (start + timedelta(hours=1)).strftime("%H:%M"),
        "distance_km": "80", "road_mix": "mixed", "status": "planned", "notes": "",
    }  # fmt: skip
    if start.date() != (start + timedelta(hours=1)).date():
        form["returns_at_0"] = (start + timedelta(hours=1)).strftime("%Y-%m-%d")
    response = client.post("/admin/operations/trip/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    trip = Trip.objects.get()
    assert trip.required_soc_percent > 0 and trip.temperature_source
    assert ActivityLog.objects.filter(content_type__model="trip", action="create").exists()


def test_a_route_saved_in_the_admin_replaces_its_stops_in_order(org, client):
    client.force_login(org.admin)
    form = {
        "department": org.a.pk, "name": "Ring", "road_mix": "urban", "distance_km": "", "notes": "",
        "stops-TOTAL_FORMS": "2", "stops-INITIAL_FORMS": "0", "stops-MIN_NUM_FORMS": "0", "stops-MAX_NUM_FORMS": "1000",
        "stops-0-sequence": "2", "stops-0-name": "Second", "stops-0-latitude": "52.5", "stops-0-longitude": "13.4",
        "stops-0-service_minutes": "5",
        "stops-1-sequence": "1", "stops-1-name": "First", "stops-1-latitude": "52.6", "stops-1-longitude": "13.5",
        "stops-1-service_minutes": "5",
    }  # fmt: skip
    response = client.post("/admin/operations/route/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    route = Route.objects.get()
    assert [(s.sequence, s.name) for s in route.stops.order_by("sequence")] == [(1, "First"), (2, "Second")]
