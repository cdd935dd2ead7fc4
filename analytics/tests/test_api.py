import csv
import io

import pytest
from rest_framework.test import APIClient

from analytics.models import CarbonIntensity, SavedReport
from analytics.tests.world import EXPECTED, build_world

PERIOD_QS = "period=custom&start=2026-01-10&end=2026-01-11"


@pytest.fixture
def world(org):
    return build_world(org)


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_dashboard_endpoint_returns_the_hand_computed_figures(world):
    body = _client(world.org.fleet_manager_a).get(f"/api/v1/analytics/dashboard/?{PERIOD_QS}").json()
    expected = {k: (str(v) if k in ("cost", "cost_per_km") else v) for k, v in EXPECTED["total"].items()}
    assert {k: body["kpis"][k] for k in body["kpis"]} == {k: expected[k] for k in body["kpis"]}
    assert {r["label"] for r in body["vehicles"]} == {"V1", "V2"}


def test_the_report_endpoint_gives_json_and_files_with_the_same_figures(world):
    client = _client(world.org.fleet_manager_a)
    query = f"{PERIOD_QS}&metrics=energy_charged_kwh,cost&grouping=site"
    body = client.get(f"/api/v1/analytics/report/?{query}").json()
    assert {r["label"]: (r["energy_charged_kwh"], r["cost"]) for r in body["rows"]} == {
        "S1": (50.0, "16.50"),
        "S2": (20.0, "7.00"),
    }
    response = client.get(f"/api/v1/analytics/report/?{query}&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1:] == [["S1", "50.0", "16.50"], ["S2", "20.0", "7.00"], ["Total", "70.0", "23.50"]]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("period=custom&start=2026-01-11&end=2026-01-10&metrics=sessions", "end", "before it starts"),
        ("period=custom&start=2020-01-01&end=2026-01-10&metrics=sessions", "end", "the most is"),
        (f"{PERIOD_QS}&metrics=happiness", "metrics", "Unknown metric 'happiness'"),
        (f"{PERIOD_QS}&metrics=sessions&grouping=colour", "grouping", "Unknown grouping"),
        (f"{PERIOD_QS}&metrics=distance_km&grouping=site", "grouping", "cannot be grouped by site"),
    ],
)
def test_bad_queries_get_a_clear_error_naming_the_field(world, query, field, words):
    response = _client(world.org.fleet_manager_a).get(f"/api/v1/analytics/report/?{query}")
    assert response.status_code == 400
    messages = " ".join(e["message"] for e in response.json()["fields"][field])
    assert words in messages


def test_another_departments_figures_are_refused(world):
    response = _client(world.org.fleet_manager_a).get(
        f"/api/v1/analytics/dashboard/?{PERIOD_QS}&department={world.org.b.pk}"
    )
    assert response.status_code == 400
    assert "cannot see that department" in response.json()["fields"]["department"][0]["message"]


def test_roles_without_analytics_are_refused(world):
    assert _client(world.org.technician_a).get(f"/api/v1/analytics/dashboard/?{PERIOD_QS}").status_code == 403


def test_saved_reports_are_created_checked_and_scoped(world):
    client = _client(world.org.fleet_manager_a)
    payload = {"name": "Monthly energy", "department": world.org.a.pk, "metrics": ["energy_charged_kwh", "cost"],
               "grouping": "vehicle", "period": "last_month", "schedule": "monthly", "format": "xlsx"}  # fmt: skip
    created = client.post("/api/v1/reports/", payload, format="json")
    assert created.status_code == 201, created.json()
    report = SavedReport.objects.get(pk=created.json()["id"])
    assert report.periodic_task is not None and report.periodic_task.crontab.day_of_month == "1"
    bad = client.post("/api/v1/reports/", {**payload, "metrics": ["distance_km"], "grouping": "site"}, format="json")
    assert bad.status_code == 400 and "cannot be grouped by site" in str(bad.json())
    other = client.post("/api/v1/reports/", {**payload, "department": world.org.b.pk}, format="json")
    assert other.status_code == 400 and "department" in other.json()["fields"]
    assert _client(world.org.fleet_manager_b).get(f"/api/v1/reports/{report.pk}/").status_code == 404


def test_a_saved_report_renders_with_the_hand_computed_figures_and_keeps_the_run(world):
    client = _client(world.org.fleet_manager_a)
    created = client.post(
        "/api/v1/reports/",
        {"name": "January", "department": world.org.a.pk, "metrics": ["energy_charged_kwh", "cost"],
         "grouping": "day", "period": "custom", "start": "2026-01-10", "end": "2026-01-11"},
        format="json",
    ).json()  # fmt: skip
    response = client.get(f"/api/v1/reports/{created['id']}/render/?format=json")
    document = b"".join(response.streaming_content).decode()
    assert '"cost": "16.50"' in document and '"cost": "7.00"' in document
    runs = client.get(f"/api/v1/report-runs/?report={created['id']}").json()["results"]
    assert runs[0]["rows"] == 2 and runs[0]["download"]


def test_hourly_carbon_intensities_are_pushed_in_bulk_and_replace_an_hour(world):
    client = _client(world.org.integrator_a)
    rows = [{"zone": "DE", "hour_start": "2026-01-10T09:00:00Z", "gco2e_per_kwh": 410, "renewable_percent": 41},
            {"zone": "DE", "hour_start": "2026-01-10T10:00:00Z", "gco2e_per_kwh": 300}]  # fmt: skip
    assert client.post("/api/v1/carbon-intensities/", rows, format="json").status_code == 201
    assert CarbonIntensity.objects.get(hour_start__hour=9).gco2e_per_kwh == 410
    bad = client.post("/api/v1/carbon-intensities/", [{**rows[0], "hour_start": "2026-01-10T09:30:00Z"}], format="json")
    assert bad.status_code == 400 and "start of an hour" in str(bad.json())


def test_the_metric_catalogue_says_which_groupings_each_metric_allows(world):
    body = _client(world.org.analyst_a).get("/api/v1/analytics/metrics/").json()
    distance = next(m for m in body["metrics"] if m["key"] == "distance_km")
    assert "site" not in distance["groupings"] and "vehicle" in distance["groupings"]


@pytest.mark.parametrize("extra", [1, 6])
def test_the_dashboard_endpoint_runs_a_constant_number_of_queries(org, extra, django_assert_max_num_queries):
    from fleet.tests.factories import VehicleFactory

    world = build_world(org)
    for _ in range(extra):
        VehicleFactory(department=org.a)
    with django_assert_max_num_queries(24):
        _client(world.org.fleet_manager_a).get(f"/api/v1/analytics/dashboard/?{PERIOD_QS}")
