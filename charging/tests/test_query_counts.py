"""Every charging list endpoint and page runs a constant number of queries, whatever the data size."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from charging import services
from charging.models import ReservationPolicy
from fleet.tests.factories import VehicleFactory
from notifications import services as notification_services
from notifications.events import Notice
from pricing.models import Contract, GridSignal, LoadPricing, PriceInterval
from pricing.tests.factories import CustomerFactory
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory
from tests.queries import request_queries

pytestmark = pytest.mark.django_db
LISTS = [
    "/api/v1/contracts/",
    "/api/v1/reservations/",
    "/api/v1/reservation-policies/",
    "/api/v1/load-pricing/",
    "/api/v1/grid-signals/",
    "/api/v1/price-intervals/",
    "/api/v1/holiday-calendars/",
    "/api/v1/notifications/",
    "/reservations/",
]


def _data(org, count: int) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    for i in range(count):
        site = SiteFactory(department=org.a)
        connector = ConnectorFactory(charge_point=ChargePointFactory(site=site), connector_type="type2",
                                     current_type="ac", max_power_kw=D("22"))  # fmt: skip
        customer = CustomerFactory(department=org.a)
        Contract.objects.create(customer=customer, name="c", kind="discount", valid_from=now, discount_percent=D(5))
        ReservationPolicy.objects.create(site=site)
        LoadPricing.objects.create(site=site, curve=[[0, 1], [100, 2]])
        GridSignal.objects.create(site=site, starts_at=now, ends_at=now + timedelta(minutes=15), load_percent=D(50),
                                  source="feed")  # fmt: skip
        PriceInterval.objects.create(site=site, starts_at=now, ends_at=now + timedelta(minutes=15),
                                     site_load_kw=D(1), load_percent=D(1), multiplier=D(1))  # fmt: skip
        for hours in (1, 3):
            services.reservation_request(
                actor=org.dispatcher_a, vehicle=VehicleFactory(department=org.a), connector=connector,
                starts_at=now + timedelta(hours=hours), ends_at=now + timedelta(hours=hours + 1),
            )  # fmt: skip
        notification_services.notify(
            event=Notice(kind="station.alert", users=[org.fleet_manager_a], title=f"alert {i}")
        )


@pytest.mark.parametrize("path", LISTS)
def test_a_list_runs_the_same_queries_for_one_object_or_many(org, api, client, path):
    client.force_login(org.fleet_manager_a)
    client.get("/")  # the session's first request does its own bookkeeping

    def count_queries():
        return request_queries(api(org.fleet_manager_a) if path.startswith("/api/") else client, path)

    _data(org, 1)
    few = count_queries()
    _data(org, 5)
    many = count_queries()
    assert many == few, f"{path}: {few} queries with one object each, {many} with six"
