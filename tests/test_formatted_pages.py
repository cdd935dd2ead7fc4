"""Pages read like a product: each area shows its figures formatted by evfleet.formatting (money to the minor
unit, units on figures, the department's distance unit, labels for keys, local times with the zone named)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from analytics.models import SavedReport
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory
from pricing.tests.factories import TariffFactory, TariffVersionFactory
from stations.models import OcppCommand
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def westbrook(org):
    """Org A counts in miles and lives in New York, like the demo's US department."""
    org.a.time_zone, org.a.distance_unit = "America/New_York", "mi"
    org.a.save()
    return org


def test_the_fleet_pages_show_odometers_in_the_departments_unit(westbrook, client):
    vehicle = VehicleFactory(department=westbrook.a, odometer_km=16093.44, fleet_number="WB-1")
    client.force_login(westbrook.fleet_manager_a)
    assert "10,000 mi" in client.get("/fleet/").content.decode()
    assert "10,000 mi" in client.get(f"/fleet/vehicles/{vehicle.pk}/").content.decode()
    client.force_login(westbrook.fleet_manager_b)  # another department, in km
    VehicleFactory(department=westbrook.b, odometer_km=16093.44)
    assert "16,093 km" in client.get("/fleet/").content.decode()


def test_a_cost_breakdown_shows_money_to_the_minor_unit_and_local_times(westbrook, client):
    connector = ConnectorFactory(charge_point=ChargePointFactory(site=SiteFactory(department=westbrook.a)))
    line = {"dimension": "ENERGY", "element": 0, "restriction": "night", "starts_at": "2026-06-10T04:00:00+00:00",
            "ends_at": "2026-06-10T05:30:00+00:00", "quantity": "1.80067", "unit": "kWh", "list_unit_price": "0.2",
            "unit_price": "0.2", "adjustments": [], "subtotal": "0.36016284"}  # fmt: skip
    breakdown = {"tariff": "Depot", "currency": "EUR", "tax_percent": "19", "lines": [line],
                 "total_excl_tax": "0.36", "tax": "0.07", "total": "0.43"}  # fmt: skip
    session = SessionFactory(connector=connector, energy_kwh=12345.678, cost_total=D("1234.5"), cost_tax=D("197.1"),
                             currency="EUR", cost_breakdown=breakdown)  # fmt: skip
    client.force_login(westbrook.fleet_manager_a)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "0.36016284" not in page and "0.36 €" in page and "0.20 €/kWh" in page and "1.8 kWh" in page
    assert "00:00–01:30 EDT" in page and "UTC" not in page  # 04:00 UTC is midnight in New York
    assert "12,345.7 kWh" in page and "1,234.50 €" in page
    assert "12,345.7 kWh" in client.get("/sessions/").content.decode()


def test_a_tariff_shows_its_prices_with_the_currency_per_unit(org, client):
    tariff = TariffFactory(department=org.a, currency="EUR")
    TariffVersionFactory(tariff=tariff, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    client.force_login(org.fleet_manager_a)
    page = client.get(f"/pricing/tariffs/{tariff.pk}/").content.decode()
    assert "€/kWh" in page


def test_a_stations_command_answer_and_power_read_as_words_and_units(org, client):
    cp = ChargePointFactory(site=SiteFactory(department=org.a), identity="CP-F1")
    ConnectorFactory(charge_point=cp, max_power_kw=D("22"))
    OcppCommand.objects.create(charge_point=cp, action="Reset", request={"type": "Soft"}, state="accepted",
                               response={"status": "Accepted"})  # fmt: skip
    client.force_login(org.technician_a)
    page = client.get(f"/stations/charge-points/{cp.pk}/").content.decode()
    assert "{&#x27;status&#x27;" not in page and ">Accepted<" in page
    assert "22.0 kW" in client.get("/stations/").content.decode()


def test_a_saved_report_names_its_period_metrics_and_grouping_in_words(org, client):
    report = SavedReport.objects.create(name="Monthly", department=org.a, owner=org.analyst_a, grouping="vehicle",
                                        metrics=["energy_charged_kwh"], period="last_30_days")  # fmt: skip
    client.force_login(org.analyst_a)
    page = client.get(f"/analytics/reports/{report.pk}/").content.decode()
    assert "Last 30 days" in page and "Energy charged (kWh)" in page and "last_30_days" not in page


def test_an_empty_analytics_chart_keeps_a_time_axis_and_says_there_is_no_data(org, client):
    client.force_login(org.analyst_a)
    page = client.get("/analytics/?period=last_7_days").content.decode()
    assert "No data in this period" in page and '\\"type\\":\\"date\\"' in page


def test_the_analytics_dashboard_names_the_departments_distance_unit(westbrook, client):
    client.force_login(westbrook.analyst_a)
    page = client.get("/analytics/?period=last_7_days").content.decode()
    assert "Distance (mi)" in page and "kWh/100 mi" in page and "Distance (km)" not in page
