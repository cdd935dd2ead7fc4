"""The battery-health pages: the fleet view of vehicles nearing a threshold and the panel on the vehicle page."""

from datetime import date, timedelta

import pytest

from fleet.tests.factories import VehicleFactory
from simulation.tests.factories import health_of

pytestmark = pytest.mark.django_db


def _vehicles(page) -> list[str]:
    return [row["vehicle"].fleet_number for row in page.context["rows"]]


def test_the_fleet_view_lists_the_vehicles_of_the_users_departments_soonest_first(org, client):
    health_of(VehicleFactory(department=org.a, fleet_number="A-SLOW"), soh_percent=95, fade_per_year_percent=1)
    health_of(VehicleFactory(department=org.a1, fleet_number="A1-FAST"), soh_percent=85, fade_per_year_percent=4)
    health_of(VehicleFactory(department=org.b, fleet_number="B-FAST"), soh_percent=81, fade_per_year_percent=5)
    client.force_login(org.fleet_manager_a)
    page = client.get("/simulation/health/")
    assert page.status_code == 200
    assert _vehicles(page) == ["A1-FAST", "A-SLOW"]
    first = page.context["rows"][0]
    assert first["earliest"] <= first["expected"] <= (first["latest"] or date.max)
    client.force_login(org.manager_a1)
    assert _vehicles(client.get("/simulation/health/")) == ["A1-FAST"]


def test_a_vehicle_that_stays_above_the_threshold_for_ten_years_is_not_listed(org, client):
    health_of(VehicleFactory(department=org.a, fleet_number="NEW"), soh_percent=99.5, fade_per_year_percent=0.5)
    client.force_login(org.analyst_a)
    assert _vehicles(client.get("/simulation/health/")) == []
    assert _vehicles(client.get("/simulation/health/", {"threshold_percent": "99"})) == ["NEW"]


def test_the_threshold_moves_the_dates_and_sorting_reverses(org, client):
    health_of(VehicleFactory(department=org.a, fleet_number="A"), soh_percent=90, fade_per_year_percent=2)
    health_of(VehicleFactory(department=org.a, fleet_number="B"), soh_percent=88, fade_per_year_percent=2)
    client.force_login(org.dispatcher_a)
    at_80 = client.get("/simulation/health/").context["rows"]
    at_85 = client.get("/simulation/health/", {"threshold_percent": "85"}).context["rows"]
    assert [r["vehicle"].fleet_number for r in at_80] == ["B", "A"]
    assert at_85[0]["expected"] < at_80[0]["expected"]
    descending = client.get("/simulation/health/", {"sort": "-expected"}).context["rows"]
    assert [r["vehicle"].fleet_number for r in descending] == ["A", "B"]
    by_soh = client.get("/simulation/health/", {"sort": "soh"}).context["rows"]
    assert [r["vehicle"].fleet_number for r in by_soh] == ["B", "A"]


@pytest.mark.parametrize("value", ["49.9", "100.5", "abc"])
def test_a_threshold_outside_50_to_100_is_refused_naming_the_field_and_the_default_shown(org, client, value):
    health_of(VehicleFactory(department=org.a, fleet_number="A"), soh_percent=82, fade_per_year_percent=2)
    client.force_login(org.fleet_manager_a)
    page = client.get("/simulation/health/", {"threshold_percent": value})
    assert page.status_code == 200
    assert "threshold_percent" in page.context["form"].errors
    assert page.context["threshold"] == 80.0
    body = page.content.decode()
    assert "Threshold (%)" in body and "Showing the default threshold" in body


@pytest.mark.parametrize("count", [2, 25])
def test_the_fleet_view_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries, count):
    for i in range(count):
        health_of(VehicleFactory(department=org.a if i % 2 else org.a1), soh_percent=85 - i % 5)
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(8):
        page = client.get("/simulation/health/", {"threshold_percent": "80", "sort": "-soh"})
    assert len(page.context["rows"]) == count


def test_integrators_are_sent_to_the_api_and_signed_out_users_to_sign_in(org, client):
    assert client.get("/simulation/health/").status_code == 302
    client.force_login(org.integrator_a)
    assert client.get("/simulation/health/").url.endswith("/api/guide/")


def test_the_navigation_links_the_fleet_view(org, client):
    client.force_login(org.technician_a)
    assert 'href="/simulation/health/"' in client.get("/fleet/").content.decode()


@pytest.mark.parametrize("days", [3, 300])
def test_the_vehicle_page_shows_the_health_chart_with_a_constant_number_of_queries(
    org, client, django_assert_max_num_queries, days
):
    vehicle = VehicleFactory(department=org.a)
    health_of(vehicle, soh_percent=91.5, history_days=days)
    client.force_login(org.analyst_a)
    # the vehicle page's own 8, and the panel's 3 (health, history, observations)
    with django_assert_max_num_queries(11):
        response = client.get(f"/fleet/vehicles/{vehicle.pk}/")
    body = response.content.decode()
    assert 'id="battery-health"' in body and 'id="figure-health"' in body
    assert "91.5 %" in body
    assert "aging model" in body and "prediction, 95 %" in body


def test_the_vehicle_page_says_when_no_health_was_computed_yet(org, client):
    vehicle = VehicleFactory(department=org.a)
    client.force_login(org.fleet_manager_a)
    body = client.get(f"/fleet/vehicles/{vehicle.pk}/").content.decode()
    assert "Not computed yet" in body and "No state of health computed yet" in body


def test_a_vehicle_of_another_department_shows_no_page_and_no_panel(org, client):
    vehicle = VehicleFactory(department=org.b)
    health_of(vehicle, day=date.today() - timedelta(days=1))
    client.force_login(org.fleet_manager_a)
    assert client.get(f"/fleet/vehicles/{vehicle.pk}/").status_code == 404


def test_the_admin_lists_the_health_tables_read_only_and_scoped(org, client):
    health_of(VehicleFactory(department=org.a, fleet_number="MINE"))
    health_of(VehicleFactory(department=org.b, fleet_number="THEIRS"))
    client.force_login(org.fleet_manager_a)
    for model in ("vehiclehealth", "healthday", "capacityobservation"):
        assert client.get(f"/admin/simulation/{model}/").status_code == 200
    body = client.get("/admin/simulation/vehiclehealth/").content.decode()
    assert "MINE" in body and "THEIRS" not in body
    assert client.get("/admin/simulation/vehiclehealth/add/").status_code == 403


def test_a_band_already_under_the_threshold_reads_now_not_a_past_date(org, client):
    health_of(VehicleFactory(department=org.a, fleet_number="AT-EDGE"), soh_percent=81, fade_per_year_percent=2)
    health_of(VehicleFactory(department=org.a, fleet_number="AHEAD"), soh_percent=85, fade_per_year_percent=2)
    client.force_login(org.fleet_manager_a)
    page = client.get("/simulation/health/")
    rows = {row["vehicle"].fleet_number: row for row in page.context["rows"]}
    assert rows["AT-EDGE"]["possible_now"] and not rows["AHEAD"]["possible_now"]
    assert rows["AHEAD"]["earliest"] > rows["AHEAD"]["health"].integrated_through
    assert 'now <span class="muted">(within the band)</span>' in page.content.decode()


def test_the_chart_shows_observations_set_aside_apart_from_those_believed():
    from datetime import UTC, datetime

    from simulation.charts import health_figure

    at = datetime(2026, 11, 1, 8, tzinfo=UTC)
    seen = {"observed_at": at, "soh_percent": 91.0, "variance": 3.0, "rejected": False}
    wrong = {"observed_at": at, "soh_percent": 45.0, "variance": 3.0, "rejected": True}
    believed_only = health_figure(history=[], observations=[seen], prediction={}, threshold_percent=80)
    both = health_figure(history=[], observations=[seen, wrong], prediction={}, threshold_percent=80)
    assert "observations set aside (outliers)" not in believed_only
    assert "observations set aside (outliers)" in both and "circle-open" in both
