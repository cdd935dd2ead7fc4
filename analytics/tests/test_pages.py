import csv
import io
import json
import re

import pytest
from django.urls import reverse

from analytics.tests.world import build_world

PERIOD_QS = "period=custom&start=2026-01-10&end=2026-01-11"


@pytest.fixture
def world(org):
    return build_world(org)


@pytest.fixture
def manager(client, world):
    client.force_login(world.org.fleet_manager_a)
    return client


@pytest.mark.parametrize("name", ["dashboard", "compare", "trends", "environment", "report-list", "report-create"])
def test_every_analytics_page_opens_for_a_fleet_manager(manager, name):
    response = manager.get(reverse(f"analytics:{name}") + "?" + PERIOD_QS)
    assert response.status_code == 200, response.content[:500]


def test_the_dashboard_page_shows_the_hand_computed_figures(manager):
    page = manager.get(reverse("analytics:dashboard") + "?" + PERIOD_QS).content.decode()
    assert 'data-kpi="energy_charged_kwh">70.0 kWh<' in page
    assert 'data-kpi="cost">23.50 €<' in page
    assert 'data-kpi="cost_per_km">0.261 €/km<' in page
    assert 'data-kpi="efficiency_kwh_per_100km">30.0 kWh/100 km<' in page
    assert 'data-kpi="connector_utilization_percent">2.4 %<' in page
    # Org B's vehicle, as a word of its own: random tokens on the page (CSRF, CSP nonces) may hold the letters V3
    assert not re.search(r"(?<![\w+/=-])V3(?![\w+/=-])", page)


def test_a_bad_period_is_refused_on_the_page_with_the_field_named(manager):
    page = manager.get(reverse("analytics:dashboard") + "?period=custom&start=2026-01-11&end=2026-01-10")
    assert page.status_code == 200
    assert "ends (2026-01-10) before it starts (2026-01-11)" in page.content.decode()


def test_a_department_the_user_cannot_see_is_refused(manager, world):
    page = manager.get(reverse("analytics:dashboard") + f"?{PERIOD_QS}&department={world.org.b.pk}").content.decode()
    assert "You cannot see that department" in page
    assert 'data-kpi="energy_charged_kwh"' not in page


def _export(client, fmt, query):
    return client.get(reverse("analytics:export", args=[fmt]) + "?" + query)


def test_every_export_format_carries_the_hand_computed_figures(manager):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    query = f"{PERIOD_QS}&metrics=energy_charged_kwh,cost,distance_km,cost_per_km&grouping=vehicle"
    rows = list(csv.reader(io.StringIO(_export(manager, "csv", query).content.decode())))
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["V1"][1:] == ["40.0", "12.00", "30.0", "0.400"]
    assert by_label["V2"][1:] == ["30.0", "11.50", "60.0", "0.192"]
    assert by_label["Total"][1:] == ["70.0", "23.50", "90.0", "0.261"]

    document = json.loads(_export(manager, "json", query).content)
    assert {r["label"]: r["cost"] for r in document["rows"]} == {"V1": "12.00", "V2": "11.50"}
    assert document["totals"]["energy_charged_kwh"] == 70.0

    sheet = load_workbook(io.BytesIO(_export(manager, "xlsx", query).content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    v1 = next(r for r in values if r and r[0] == "V1")
    assert [float(v) for v in v1[1:5]] == [40.0, 12.0, 30.0, 0.4]

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(_export(manager, "pdf", query).content)).pages)
    for figure in ("40.0", "12.00", "11.50", "0.192", "70.0", "23.50", "0.261", "V1", "V2", "Total"):
        assert figure in text


def test_an_export_with_an_unknown_metric_or_grouping_says_what_is_wrong(manager):
    response = _export(manager, "csv", f"{PERIOD_QS}&metrics=happiness&grouping=vehicle")
    assert response.status_code == 400 and "Unknown metric 'happiness'" in response.content.decode()
    response = _export(manager, "csv", f"{PERIOD_QS}&metrics=distance_km&grouping=site")
    assert response.status_code == 400 and "cannot be grouped by site" in response.content.decode()
    response = _export(manager, "docx", f"{PERIOD_QS}&metrics=distance_km&grouping=vehicle")
    assert response.status_code == 400 and "choose csv, xlsx, json or pdf" in response.content.decode()


def test_the_comparison_page_ranks_and_shows_the_change(manager):
    page = manager.get(
        reverse("analytics:compare") + "?period=custom&start=2026-01-11&end=2026-01-11&"
        "metrics=energy_charged_kwh&grouping=vehicle&compare_to=previous"
    ).content.decode()
    assert "V2" in page and "100.0" in page  # 20 kWh against 10 kWh the day before


def test_the_environment_page_shows_the_emissions(manager):
    page = manager.get(reverse("analytics:environment") + "?" + PERIOD_QS).content.decode()
    assert 'data-kpi="charging_emissions_kg">24.4 kg<' in page
    assert 'data-kpi="net_emissions_kg">14.4 kg<' in page
    assert "Gold Standard" in page


@pytest.mark.parametrize("vehicles", [1, 6])
def test_the_dashboard_page_runs_a_constant_number_of_queries(client, org, vehicles, django_assert_max_num_queries):
    from analytics.tests.world import PERIOD as P
    from fleet.tests.factories import VehicleFactory

    build_world(org)
    for _ in range(vehicles):
        VehicleFactory(department=org.a)
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(30):
        client.get(reverse("analytics:dashboard") + f"?period=custom&start={P.first}&end={P.last}")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "pdf"])
def test_a_ranked_report_exports_in_every_format_with_its_total(manager, fmt):
    query = f"{PERIOD_QS}&metrics=energy_charged_kwh,cost&grouping=vehicle&sort_by=cost"
    response = _export(manager, fmt, query)
    assert response.status_code == 200, response.content[:300]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[1][:2] == ["1", "V1"] and rows[-1] == ["", "Total", "70.0", "23.50"]
