"""Every analytics list endpoint and page runs a constant number of queries, whatever the data size, and shows
only the user's departments."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from analytics import services
from analytics.models import CarbonIntensity, CarbonOffset, CarbonZone
from tests.queries import request_queries

pytestmark = pytest.mark.django_db
LISTS = [
    "/api/v1/reports/",
    "/api/v1/report-runs/",
    "/api/v1/carbon-offsets/",
    "/api/v1/carbon-zones/",
    "/api/v1/carbon-intensities/",
    "/api/v1/ice-baselines/",
    "/analytics/reports/",
]


def _data(org, count: int) -> None:
    zone = CarbonZone.objects.get(code="DE")
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=CarbonIntensity.objects.count())
    for i in range(count):
        report = services.saved_report_save(
            actor=org.fleet_manager_a, name=f"r{CarbonOffset.objects.count()}", department=org.a,
            metrics=["energy_charged_kwh"], grouping="vehicle", period="last_month", schedule="daily",
        )  # fmt: skip
        services.report_generate(report=report, fmt="csv", today=date(2026, 2, 1))
        CarbonOffset.objects.create(department=org.a, registry="Verra", quantity_t_co2e=D(1), vintage=2024,
                                    retired_on=date(2026, 1, 1))  # fmt: skip
        CarbonIntensity.objects.create(zone=zone, hour_start=start + timedelta(hours=i), gco2e_per_kwh=300.0)


@pytest.mark.parametrize("path", LISTS)
def test_a_list_runs_the_same_queries_for_one_object_or_many(org, api, client, path):
    client.force_login(org.fleet_manager_a)
    client.get("/")

    def count_queries():
        return request_queries(api(org.fleet_manager_a) if path.startswith("/api/") else client, path)

    _data(org, 1)
    few = count_queries()
    _data(org, 5)
    many = count_queries()
    assert many == few, f"{path}: {few} queries with one object each, {many} with six"


@pytest.mark.parametrize("path", ["/api/v1/reports/", "/api/v1/report-runs/", "/api/v1/carbon-offsets/"])
def test_another_departments_reports_and_offsets_are_not_listed(org, api, path):
    _data(org, 2)
    assert api(org.fleet_manager_b).get(path).json()["count"] == 0
    assert api(org.fleet_manager_a).get(path).json()["count"] > 0


def test_another_departments_report_pages_are_not_found(org, client):
    _data(org, 1)
    from analytics.models import ReportRun, SavedReport

    report, run = SavedReport.objects.get(), ReportRun.objects.get()
    client.force_login(org.fleet_manager_b)
    assert client.get(f"/analytics/reports/{report.pk}/").status_code == 404
    assert client.get(f"/analytics/runs/{run.pk}/download/").status_code == 404
    assert client.get(f"/analytics/reports/{report.pk}/download.csv").status_code == 404
