"""The port through which pricing reads charging's measurements, and pricing's jobs under their old names."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from charging.pricing_usage import ChargingUsage
from charging.tests.factories import SessionFactory
from evfleet.celery import app
from pricing import services, usage
from pricing.models import LoadPricing
from pricing.tests.factories import CustomerFactory
from stations.tests.factories import SiteFactory

T = datetime(2026, 6, 10, 4, tzinfo=UTC)


def test_charging_registers_where_pricing_reads_its_measurements():
    assert isinstance(usage.source(), ChargingUsage)


def test_without_a_registered_source_pricing_says_so_instead_of_pricing_with_zero(monkeypatch):
    monkeypatch.setattr(usage, "_source", None)
    with pytest.raises(usage.NoUsageSource, match=r"register"):
        usage.source()


@pytest.mark.django_db
def test_an_interval_is_priced_from_the_load_the_registered_source_reports(org, monkeypatch):
    site = SiteFactory(department=org.a, grid_limit_kw=D("100"))
    policy = LoadPricing.objects.create(site=site, curve=[["0", "1.0"], ["100", "2.0"]])

    class Measured:
        def site_load_kw(self, site, start, end):
            return D("50")

        def customer_month_kwh(self, customer, *, before, time_zone):
            return D(0)

    monkeypatch.setattr(usage, "_source", Measured())
    row = services.price_interval_record(site=site, starts_at=T, policy=policy)
    assert (row.site_load_kw, row.load_percent, row.multiplier) == (D("50"), D("50.00"), D("1.5000"))


@pytest.mark.django_db
def test_chargings_source_counts_the_customers_sessions_this_month(org):
    customer = CustomerFactory(department=org.a)
    SessionFactory(customer=customer, started_at=datetime(2026, 6, 2, tzinfo=UTC), energy_kwh=12.5)
    SessionFactory(customer=customer, started_at=datetime(2026, 5, 30, tzinfo=UTC), energy_kwh=40)  # May
    month = usage.source().customer_month_kwh(customer, before=T, time_zone="Europe/Berlin")
    assert month == D("12.500")


def test_the_jobs_old_names_still_run_them():
    app.loader.import_default_modules()
    for old, new in [
        ("charging.tasks.price_intervals_record", "pricing.tasks.price_intervals_record"),
        ("charging.tasks.grid_signals_fetch", "pricing.tasks.grid_signals_fetch"),
    ]:
        assert old in app.tasks and new in app.tasks
