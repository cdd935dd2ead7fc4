"""The summary a PDF report opens with: the key figures of the period and their change against the period before,
computed from the rollups (the small world of world.py), and the PDF of every kind of report."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pypdf
import pytest
from django.urls import reverse

from analytics import services
from analytics.metrics import Spec, compute
from analytics.periods import Period
from analytics.rollup import rollup_range
from analytics.summary import export_report, summarise, summary_metrics
from analytics.tests.world import NOW, PERIOD, at, build_world
from charging.models import ChargingSession
from charging.tests.factories import SessionFactory

# WeasyPrint falls back to fontTools when the system lacks libharfbuzz-subset, and says so once per process.
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")


@pytest.fixture
def world(org):
    return build_world(org)


def _session(connector, vehicle, start: datetime, kwh: float, cost: str):
    return SessionFactory(
        connector=connector, vehicle=vehicle, started_at=start, ended_at=start.replace(minute=start.minute + 20),
        energy_kwh=kwh, currency="EUR", cost_total=Decimal(cost), status=ChargingSession.Status.COMPLETED,
    )  # fmt: skip


def _spec(world, metrics, grouping="vehicle", period=PERIOD) -> Spec:
    return Spec(metrics=metrics, grouping=grouping, period=period, department=world.org.a)


def _figures(summary) -> dict:
    return {f.key: (f.value, f.before, f.change, f.change_percent, f.direction) for f in summary.figures}


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages).replace("\u202f", " ")


def test_the_summary_shows_the_reports_metrics_then_the_headlines_of_the_data_it_covers():
    assert summary_metrics(["cost"]) == ["cost", "energy_charged_kwh", "sessions"]
    assert summary_metrics(["connector_availability_percent"]) == [
        "connector_availability_percent",
        "connector_utilization_percent",
        "peak_demand_kw",
    ]
    assert summary_metrics(["cost_per_km"]) == [
        "cost_per_km",
        "energy_charged_kwh",
        "cost",
        "sessions",
        "avoided_emissions_kg",
        "distance_km",
        "energy_consumed_kwh",
    ]


def test_the_summary_gives_the_periods_figures_and_their_change_against_the_period_before(world):
    # the two days before 10-11 January: one session of 25 kWh for 10.00 on the 8th, connectors up throughout
    _session(world.c1, world.v1, at(8, 12), 25.0, "10.00")
    rollup_range(date(2026, 1, 8), date(2026, 1, 9), now=NOW)

    summary = summarise(_spec(world, ["cost", "energy_charged_kwh"]), world.org.fleet_manager_a)

    assert (summary.before_start, summary.before_end) == (date(2026, 1, 8), date(2026, 1, 9))
    assert _figures(summary) == {
        "cost": (Decimal("23.50"), Decimal("10.00"), Decimal("13.50"), 135.0, "up"),
        "energy_charged_kwh": (70.0, 25.0, 45.0, 180.0, "up"),
        "sessions": (3, 1, 2, 200.0, "up"),
    }
    assert summary.figures[0].unit == "EUR"

    sites = summarise(_spec(world, ["connector_availability_percent"], "site"), world.org.fleet_manager_a)
    availability = _figures(sites)["connector_availability_percent"]
    assert availability == (95.8, 100.0, -4.2, -4.2, "down")  # 138 of 144 connector hours, against all 144


def test_a_figure_without_data_the_period_before_says_so_instead_of_a_change(world):
    result = compute(_spec(world, ["cost_per_km"]), world.org.fleet_manager_a)
    summary = summarise(_spec(world, ["cost_per_km"]), world.org.fleet_manager_a)

    figures = _figures(summary)
    assert figures["cost_per_km"] == (Decimal("0.261"), None, None, None, "")
    assert figures["distance_km"] == (90.0, None, None, None, "")
    assert figures["avoided_emissions_kg"] == (-8.6, None, None, None, "")
    # the same figures as the table's total
    assert figures["cost_per_km"][0] == result.totals["cost_per_km"]

    report = services.saved_report_save(
        actor=world.org.fleet_manager_a, name="Cost per km", department=world.org.a, metrics=["cost_per_km"],
        grouping="vehicle", period="custom", start=PERIOD.first, end=PERIOD.last, format="pdf",
    )  # fmt: skip
    content, content_type, _ = services.report_render(report=report, fmt="pdf", user=world.org.fleet_manager_a)
    text = _pdf_text(content)
    assert content_type == "application/pdf"
    assert "Changes against the period before: 8 Jan 2026 – 9 Jan 2026." in text
    assert text.count("no data the period before") == 7
    assert "0.261 €/km" in text and "90.0 km" in text and "−8.6 kg CO2e" in text


def test_the_summary_counts_local_days_across_the_change_to_summer_time(world):
    """Org A is in Europe/Berlin; 23 March - 5 April 2026 spans the 29th, a 23-hour day. A session is in the period
    by its local start: 00:30 on the 23rd (23:30 UTC the day before) is in, 00:30 on the 6th (22:30 UTC on the 5th)
    is out."""
    period = Period(date(2026, 3, 23), date(2026, 4, 5))
    _session(world.c1, world.v1, datetime(2026, 3, 22, 22, 30, tzinfo=UTC), 10.0, "1.00")  # 23:30 CET, 22 Mar
    _session(world.c1, world.v1, datetime(2026, 3, 22, 23, 30, tzinfo=UTC), 20.0, "2.00")  # 00:30 CET, 23 Mar
    _session(world.c1, world.v1, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), 30.0, "3.00")  # 03:30 CEST, 29 Mar
    _session(world.c1, world.v1, datetime(2026, 4, 5, 21, 30, tzinfo=UTC), 40.0, "4.00")  # 23:30 CEST, 5 Apr
    _session(world.c1, world.v1, datetime(2026, 4, 5, 22, 30, tzinfo=UTC), 50.0, "5.00")  # 00:30 CEST, 6 Apr
    rollup_range(date(2026, 3, 8), date(2026, 4, 6), now=datetime(2026, 4, 10, tzinfo=UTC))
    spec = _spec(world, ["energy_charged_kwh", "cost"], "day", period)

    summary = summarise(spec, world.org.fleet_manager_a)

    assert (summary.before_start, summary.before_end) == (date(2026, 3, 9), date(2026, 3, 22))
    assert _figures(summary) == {
        "energy_charged_kwh": (90.0, 10.0, 80.0, 800.0, "up"),
        "cost": (Decimal("9.00"), Decimal("1.00"), Decimal("8.00"), 800.0, "up"),
        "sessions": (3, 1, 2, 200.0, "up"),
    }
    result = compute(spec, world.org.fleet_manager_a)
    assert result.time_zone == "Europe/Berlin" and result.generated_at.tzname() in ("CET", "CEST")
    content, _, _ = export_report(result, spec, "pdf", world.org.fleet_manager_a)
    text = _pdf_text(content)
    assert "23 Mar 2026 – 5 Apr 2026, Europe/Berlin (CET → CEST)" in text
    assert "▲ +80.0 kWh (+800.0 %)" in text and "▲ +8.00 € (+800.0 %)" in text


REPORT_KINDS = [
    ("energy_charged_kwh,cost,sessions", "vehicle", ""),
    ("energy_charged_kwh,cost", "vehicle_model", ""),
    ("distance_km,efficiency_kwh_per_100km", "vehicle_class", ""),
    ("cost,charging_emissions_kg", "department", ""),
    ("connector_availability_percent,connector_utilization_percent,peak_demand_kw", "site", ""),
    ("energy_charged_kwh,cost", "day", ""),
    ("energy_charged_kwh,avoided_emissions_kg", "week", ""),
    ("charging_emissions_kg,offsets_kg,net_emissions_kg", "month", ""),
    ("energy_charged_kwh,cost,distance_km,connector_availability_percent", "total", ""),
    ("energy_charged_kwh,cost,cost_per_km", "vehicle", "previous"),
    ("energy_charged_kwh", "site", "year_before"),
]


@pytest.mark.parametrize(("metrics", "grouping", "compare_to"), REPORT_KINDS)
def test_every_kind_of_report_downloads_as_a_pdf_that_opens_with_its_summary(
    client, world, metrics, grouping, compare_to
):
    client.force_login(world.org.fleet_manager_a)
    query = f"period=custom&start=2026-01-10&end=2026-01-11&department={world.org.a.pk}"
    query += f"&metrics={metrics}&grouping={grouping}" + (f"&compare_to={compare_to}" if compare_to else "")

    response = client.get(reverse("analytics:export", args=["pdf"]) + "?" + query)

    assert response.status_code == 200, response.content[:300]
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    first = reader.pages[0].extract_text().replace("\u202f", " ")
    text = _pdf_text(response.content)
    assert text.index("Summary") < text.index("Figures")
    if compare_to == "year_before":
        assert "Changes against a year before: 10 Jan 2025 – 11 Jan 2025." in first
    else:
        assert "Changes against the period before: 8 Jan 2026 – 9 Jan 2026." in first
    assert "Org A · 10 Jan 2026 – 11 Jan 2026, Europe/Berlin (CET)" in first
    assert f"Page 1 of {len(reader.pages)}" in first
    assert all(round(page.mediabox.width) in (595, 842) for page in reader.pages)  # A4, either way round
