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


def test_a_saved_report_renders_with_the_hand_computed_figures_and_a_sent_one_is_kept(world):
    from django.core import mail

    client = _client(world.org.fleet_manager_a)
    created = client.post(
        "/api/v1/reports/",
        {"name": "January", "department": world.org.a.pk, "metrics": ["energy_charged_kwh", "cost"],
         "grouping": "day", "period": "custom", "start": "2026-01-10", "end": "2026-01-11",
         "recipients": "ops@example.com"},
        format="json",
    ).json()  # fmt: skip
    document = client.get(f"/api/v1/reports/{created['id']}/render/?format=json").json()
    assert [(r["key"], r["cost"]) for r in document["rows"]] == [("2026-01-10", "16.50"), ("2026-01-11", "7.00")]
    assert client.get(f"/api/v1/report-runs/?report={created['id']}").json()["count"] == 0  # a download
    assert client.post(f"/api/v1/reports/{created['id']}/send/").status_code == 202
    runs = client.get(f"/api/v1/report-runs/?report={created['id']}").json()["results"]
    assert (runs[0]["status"], runs[0]["trigger"], runs[0]["rows"]) == ("sent", "manual", 2)
    assert mail.outbox[0].to == ["ops@example.com"]
    assert client.get(runs[0]["download"]).status_code == 200


def test_only_the_owner_or_a_fleet_manager_changes_a_report(world):
    created = _client(world.org.analyst_a).post(
        "/api/v1/reports/",
        {"name": "Mine", "department": world.org.a.pk, "metrics": ["sessions"], "grouping": "site",
         "period": "last_month"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    report = created.json()["id"]
    other = _client(world.org.manager_a1).get(f"/api/v1/reports/{report}/")
    assert other.status_code == 404  # Team A1 does not see Org A's report
    from accounts.tests.factories import UserFactory

    colleague = UserFactory(username="analyst-2", role="analyst", department=world.org.a)
    assert _client(colleague).patch(f"/api/v1/reports/{report}/", {"name": "x"}, format="json").status_code == 403
    assert _client(world.org.fleet_manager_a).patch(f"/api/v1/reports/{report}/", {"name": "Ours"},
                                                    format="json").status_code == 200  # fmt: skip


def test_saved_report_filters_must_name_things_the_user_can_see(world):
    client = _client(world.org.fleet_manager_a)
    payload = {"name": "f", "department": world.org.a.pk, "metrics": ["sessions"], "grouping": "site",
               "period": "last_month"}  # fmt: skip
    cases = [
        ({"site": ["abc"]}, "takes ids"),
        ({"site": [world.s3.pk]}, "that you can see"),
        ({"vehicle_class": ["boat"]}, "Unknown vehicle class"),
        ({"colour": [1]}, "Unknown filter"),
    ]
    for filters, words in cases:
        response = client.post("/api/v1/reports/", {**payload, "filters": filters}, format="json")
        assert response.status_code == 400 and words in str(response.json()), (filters, response.json())


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
