"""The exporters lay out one ReportResult the same way in CSV, XLSX, JSON and PDF. No database needed."""

import base64
import csv
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pypdf
import pytest

from analytics.reporting.exports import (
    CONTENT_WIDTH_MM,
    EXPORTERS,
    MARGIN_BOTTOM_MM,
    MARGIN_SIDE_MM,
    MARGIN_TOP_MM,
    PAGE_WIDTH_MM,
    _chart_svg,
    _html,
    export,
    export_pdf,
)
from analytics.reporting.numbers import figure_change, grouped
from analytics.reporting.result import Chart, Column, ReportResult, Series, Summary
from analytics.summary import figure

# WeasyPrint falls back to fontTools when the system lacks libharfbuzz-subset, and says so once per process.
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

COLUMNS = [
    Column("label", "Vehicle", kind="text"),
    Column("energy_charged_kwh", "Energy charged", "kWh", kind="number", decimals=1),
    Column("cost", "Cost", "EUR", kind="money", decimals=2),
    Column("sessions", "Sessions", kind="integer", decimals=0),
    Column("renewable_share", "Renewable share", "%", kind="percent", decimals=1),
]
ROWS = [
    {"label": "Van 1", "energy_charged_kwh": 123.4, "cost": Decimal("45.67"), "sessions": 12, "renewable_share": 61.0},
    {"label": "Van 2", "energy_charged_kwh": 80.0, "cost": Decimal("30.10"), "sessions": 7, "renewable_share": None},
    {"label": "Car <3>", "energy_charged_kwh": 9.5, "cost": Decimal("4.00"), "sessions": 1, "renewable_share": 12.5},
]
TOTALS = {
    "label": "Total",
    "energy_charged_kwh": 212.9,
    "cost": Decimal("79.77"),
    "sessions": 20,
    "renewable_share": 48.2,
}
EXPECTED = [
    ["Van 1", "123.4", "45.67", "12", "61.0"],
    ["Van 2", "80.0", "30.10", "7", ""],
    ["Car <3>", "9.5", "4.00", "1", "12.5"],
    ["Total", "212.9", "79.77", "20", "48.2"],
]


def make_result(rows=ROWS, charts=None) -> ReportResult:
    if charts is None:
        charts = [
            Chart("Energy per vehicle", "bar", [r["label"] for r in ROWS], [Series("kWh", [123.4, 80.0, 9.5])], "kWh"),
            Chart(
                "Energy per day",
                "line",
                ["2024-03-01", "2024-03-02", "2024-03-03"],
                [Series("kWh", [100.0, None, 112.9]), Series("Renewable kWh", [60.0, 20.0, 50.0])],
                "kWh",
            ),
        ]
    return ReportResult(
        title="Energy by vehicle",
        scope="Logistics",
        period_start=date(2024, 3, 1),
        period_end=date(2024, 3, 31),
        grouping="vehicle",
        columns=COLUMNS,
        rows=rows,
        totals=TOTALS,
        currency="EUR",
        notes=["Sessions still running at the end of the period are left out."],
        charts=charts,
        generated_at=datetime(2024, 4, 1, 8, 30, tzinfo=UTC),
    )


def many_rows(count: int) -> list[dict]:
    return [
        {
            "label": f"EV-{i:03d}",
            "energy_charged_kwh": round(10 + i * 1.7, 1),
            "cost": Decimal(f"{i}.25"),
            "sessions": i % 40,
            "renewable_share": round(i % 100 * 0.9, 1),
        }
        for i in range(count)
    ]


def test_csv_has_the_headings_then_the_formatted_rows_then_the_total():
    data = export(make_result(), "csv")
    assert data[1:] == ("text/csv", "csv")

    rows = list(csv.reader(io.StringIO(data[0].decode("utf-8"))))

    assert rows[0] == ["Vehicle", "Energy charged (kWh)", "Cost (EUR)", "Sessions", "Renewable share (%)"]
    assert rows[1:] == EXPECTED


def test_csv_has_no_total_row_when_the_report_has_no_totals():
    result = make_result()
    result.totals = {}

    rows = list(csv.reader(io.StringIO(export(result, "csv")[0].decode("utf-8"))))

    assert [row[0] for row in rows] == ["Vehicle", "Van 1", "Van 2", "Car <3>"]


def test_xlsx_holds_real_numbers_with_the_columns_decimals_and_a_bold_total_row():
    data, content_type, extension = export(make_result(), "xlsx")
    assert extension == "xlsx" and content_type.endswith("spreadsheetml.sheet")

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Report"]

    assert sheet["A1"].value == "Energy by vehicle · Logistics · 2024-03-01 to 2024-03-31"
    assert [cell.value for cell in sheet[3]] == [
        "Vehicle",
        "Energy charged (kWh)",
        "Cost (EUR)",
        "Sessions",
        "Renewable share (%)",
    ]
    assert all(cell.font.bold for cell in sheet[3])
    assert sheet.freeze_panes == "A4"
    assert [cell.value for cell in sheet[4]] == ["Van 1", 123.4, 45.67, 12, 61.0]
    assert [cell.value for cell in sheet[5]] == ["Van 2", 80.0, 30.1, 7, None]
    assert [cell.number_format for cell in sheet[4]][1:] == ["0.0", "0.00", "0", "0.0"]
    total = sheet[7]
    assert [cell.value for cell in total] == ["Total", 212.9, 79.77, 20, 48.2]
    assert all(cell.font.bold for cell in total)
    assert sheet.column_dimensions["B"].width >= len("Energy charged (kWh)")


def test_xlsx_has_a_notes_sheet_with_the_generation_time():
    workbook = openpyxl.load_workbook(io.BytesIO(export(make_result(), "xlsx")[0]))

    values = [cell.value for row in workbook["Notes"].iter_rows() for cell in row]

    assert "Sessions still running at the end of the period are left out." in values
    assert "2024-04-01 08:30 UTC" in values


def test_json_has_the_metadata_columns_and_values_with_money_as_strings():
    data, content_type, _ = export(make_result(), "json")
    assert content_type == "application/json"

    document = json.loads(data)

    assert document["title"] == "Energy by vehicle"
    assert document["period"] == {"start": "2024-03-01", "end": "2024-03-31"}
    assert document["grouping"] == "vehicle"
    assert document["currency"] == "EUR"
    assert document["columns"][2] == {"key": "cost", "label": "Cost", "unit": "EUR", "kind": "money", "decimals": 2}
    assert document["rows"][0] == {
        "label": "Van 1",
        "energy_charged_kwh": 123.4,
        "cost": "45.67",
        "sessions": 12,
        "renewable_share": 61.0,
    }
    assert document["rows"][1]["cost"] == "30.10"
    assert document["rows"][1]["renewable_share"] is None
    assert isinstance(document["rows"][0]["sessions"], int)
    assert document["totals"]["label"] == "Total"
    assert document["totals"]["cost"] == "79.77"
    assert document["notes"] == ["Sessions still running at the end of the period are left out."]
    assert document["generated_at"] == "2024-04-01T08:30:00+00:00"


def test_json_rounds_numbers_to_the_columns_decimals():
    row = {**ROWS[0], "energy_charged_kwh": 123.4499999, "cost": 45.6}

    document = json.loads(export(make_result(rows=[row]), "json")[0])

    assert document["rows"][0]["energy_charged_kwh"] == 123.4
    assert document["rows"][0]["cost"] == "45.60"


def test_pdf_shows_the_title_each_vehicle_each_formatted_value_and_the_total():
    data, content_type, _ = export(make_result(), "pdf")
    assert content_type == "application/pdf"

    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)

    for expected in ["Energy by vehicle", "Logistics", "1 Mar 2024 – 31 Mar 2024", "Notes", "Page 1 of"]:
        assert expected in text
    for value in {value for row in EXPECTED for value in row if value}:
        assert value in text


def test_pdf_html_embeds_each_chart_as_an_svg_data_uri_and_escapes_text():
    page = _html(make_result())

    uris = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(uris) == 2
    assert all(b"<svg" in base64.b64decode(uri) for uri in uris)
    assert "Car &lt;3&gt;" in page and "Car <3>" not in page
    assert "display: table-header-group" in page


def test_a_bar_chart_shows_at_most_25_groups_and_says_so_in_its_title():
    chart = Chart("Energy per vehicle", "bar", [f"EV-{i}" for i in range(30)], [Series("kWh", list(range(30)))])

    svg = _chart_svg(chart)

    # matplotlib writes each text of the chart as a comment before its glyphs.
    assert "<!-- Energy per vehicle (first 25 of 30) -->" in svg
    assert "<!-- EV-24 -->" in svg and "<!-- EV-25 -->" not in svg


def test_a_long_report_paginates_with_the_heading_row_on_every_page():
    data = export_pdf(make_result(rows=many_rows(400), charts=[]))

    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]

    assert len(pages) > 3
    assert all("Energy charged (kWh)" in page for page in pages)
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert "EV-399" in pages[-1] and "Total" in pages[-1]


def test_every_format_is_registered_with_its_content_type():
    assert set(EXPORTERS) == {"csv", "xlsx", "json", "pdf"}


def test_an_unknown_format_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"^Unknown format 'docx': choose csv, xlsx, json or pdf\.$"):
        export(make_result(), "docx")


# --- formula injection (evfleet/spreadsheet.py) ----------------------------------------------------------------

ATTACK = "=cmd|' /C calc'!A0"
HOSTILE = [ATTACK, "+SUM(1,2)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def hostile_result() -> ReportResult:
    rows = [{**ROWS[0], "label": label} for label in HOSTILE]
    rows.append({**ROWS[1], "label": "Van 2", "energy_charged_kwh": -4.5, "cost": Decimal("-3.20")})
    result = make_result(rows=rows, charts=[])
    result.title, result.scope = '=HYPERLINK("http://evil")', "@Depot"
    result.notes = ["-note from =someone"]
    return result


def test_csv_text_that_starts_like_a_formula_gets_a_leading_quote_and_numbers_stay_numbers():
    rows = list(csv.reader(io.StringIO(export(hostile_result(), "csv")[0].decode("utf-8"), newline="")))

    assert [row[0] for row in rows[1 : 1 + len(HOSTILE)]] == ["'" + label for label in HOSTILE]
    assert rows[1 + len(HOSTILE)] == ["Van 2", "-4.5", "-3.20", "7", ""]  # negative figures are not text


def test_xlsx_text_that_starts_like_a_formula_is_a_quoted_text_cell_and_numbers_stay_numbers():
    data = export(hostile_result(), "xlsx")[0]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Report"]

    labels = [sheet.cell(row=4 + index, column=1) for index in range(len(HOSTILE))]
    # shown as typed (XML reads a stored carriage return back as a line feed)
    assert [cell.value for cell in labels] == [label.replace("\r", "\n") for label in HOSTILE]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in labels)
    assert sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix
    negative = sheet.cell(row=4 + len(HOSTILE), column=2)
    assert negative.value == -4.5 and negative.data_type == "n" and not negative.quotePrefix
    assert sheet.cell(row=4 + len(HOSTILE), column=3).value == -3.2
    note = workbook["Notes"]["A2"]
    assert note.value == "-note from =someone" and note.quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # no formula anywhere in the file
        assert not any(b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in archive.namelist())


def test_json_keeps_the_text_as_typed():
    document = json.loads(export(hostile_result(), "json")[0])
    assert [row["label"] for row in document["rows"][: len(HOSTILE)]] == HOSTILE


def test_xlsx_exports_a_name_holding_a_control_character_with_a_visible_mark_in_its_place():
    rows = [{**ROWS[0], "label": "Van\x01 1\x1f"}]
    result = make_result(rows=rows, charts=[])
    result.title, result.notes = "Depot\x0b report", ["a note\x00"]

    workbook = openpyxl.load_workbook(io.BytesIO(export(result, "xlsx")[0]))

    assert workbook["Report"].cell(row=4, column=1).value == "Van\ufffd 1\ufffd"
    assert workbook["Report"]["A1"].value.startswith("Depot\ufffd report")
    assert workbook["Notes"]["A2"].value == "a note\ufffd"


# --- the PDF's summary and page layout ------------------------------------------------------------------------


def summarised_result(**changes) -> ReportResult:
    result = make_result(**changes)
    result.time_zone = "Europe/Berlin"
    result.summary = Summary(
        [
            figure("energy_charged_kwh", 12345.6, 10123.4),
            figure("cost", Decimal("4567.89"), Decimal("4890.10"), "EUR"),
            figure("sessions", 1234, 1234),
            figure("connector_availability_percent", 97.5, 98.1),
            figure("avoided_emissions_kg", 2345.6, None),
        ],
        date(2024, 2, 1),
        date(2024, 2, 29),
    )
    return result


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text().replace("\u202f", " ") for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_pdf_opens_with_the_summary_of_key_figures_and_their_change_before_the_charts_and_table():
    first = pdf_text(export_pdf(summarised_result()))[0]

    summary = first.index("Summary")
    assert summary < first.index("Charts") < first.index("Figures by vehicle")
    assert "Changes against the period before: 1 Feb 2024 – 29 Feb 2024." in first
    for expected in [
        "12,345.6 kWh",
        "▲ +2,222.2 kWh (+22.0 %)",
        "4,567.89 €",
        "▼ −322.21 € (−6.6 %)",
        "1,234 sessions",
        "no change",
        "97.5 %",
        "▼ −0.6 pp (−0.6 %)",
        "2,345.6 kg CO2e",
        "no data the period before",
    ]:
        assert expected in first[summary:], expected


def test_every_pdf_page_names_the_department_the_local_period_with_its_zone_and_when_it_was_made():
    pages = pdf_text(export_pdf(summarised_result(rows=many_rows(120), charts=[])))

    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert "Logistics · 1 Mar 2024 – 31 Mar 2024, Europe/Berlin (CET → CEST)" in page
        assert "Generated 1 Apr 2024, 10:30 CEST" in page  # 08:30 UTC, in Berlin's summer time
        assert f"Page {number} of {len(pages)}" in page


def test_pdf_table_figures_have_thousands_separators_and_money_its_minor_unit():
    rows = [{**ROWS[0], "energy_charged_kwh": 12345.6, "cost": Decimal("1234567.80"), "sessions": 4321}]

    text = pdf_text(export_pdf(make_result(rows=rows, charts=[])))[0]

    assert "12,345.6 1,234,567.80 4,321 61.0" in text
    assert "Cost (€)" in text


def test_a_chart_is_drawn_at_the_content_width_of_an_a4_portrait_page():
    svg = _chart_svg(make_result().charts[0])
    width_pt = float(re.search(r'<svg[^>]* width="([0-9.]+)pt"', svg).group(1))
    content_width_pt = (PAGE_WIDTH_MM - 2 * MARGIN_SIDE_MM) / 25.4 * 72

    assert CONTENT_WIDTH_MM == 180
    assert width_pt == pytest.approx(content_width_pt)
    assert f".chart img {{ display: block; width: {CONTENT_WIDTH_MM}mm;" in _html(make_result())


def _boxes(box):
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)


def test_every_chart_and_table_lies_within_the_page_margins_once_laid_out():
    from weasyprint import HTML
    from weasyprint.formatting_structure.boxes import ReplacedBox, TableBox

    wide_columns = [*COLUMNS, *[Column(f"extra{i}", f"Extra figure {i}", "kWh") for i in range(8)]]
    for result in (summarised_result(rows=many_rows(80)), make_result(rows=many_rows(80))):
        if result.summary is None:
            result.columns = wide_columns
        document = HTML(string=_html(result)).render()
        placed = 0
        for page in document.pages:
            box = page._page_box  # WeasyPrint's laid-out page: its boxes with their final positions
            left, right = MARGIN_SIDE_MM / 25.4 * 96, page.width - MARGIN_SIDE_MM / 25.4 * 96  # CSS px
            top, bottom = MARGIN_TOP_MM / 25.4 * 96, page.height - MARGIN_BOTTOM_MM / 25.4 * 96
            for child in _boxes(box):
                if isinstance(child, ReplacedBox | TableBox):
                    placed += 1
                    x, y = child.border_box_x(), child.border_box_y()
                    assert left - 0.5 <= x and x + child.border_width() <= right + 0.5, (type(child), x)
                    assert top - 0.5 <= y and y + child.border_height() <= bottom + 0.5, (type(child), y)
        assert placed >= len(document.pages)


def test_a_pdf_is_a4_portrait_and_a_table_too_wide_for_it_prints_on_landscape_pages():
    narrow = pypdf.PdfReader(io.BytesIO(export_pdf(make_result(rows=many_rows(60)))))
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in narrow.pages} == {(595, 842)}

    result = make_result(rows=many_rows(60))
    result.columns = [*COLUMNS, *[Column(f"extra{i}", f"Extra {i}", "kWh") for i in range(8)]]
    wide = pypdf.PdfReader(io.BytesIO(export_pdf(result)))
    sizes = [(round(p.mediabox.width), round(p.mediabox.height)) for p in wide.pages]
    assert sizes[0] == (595, 842)  # the heading and charts
    assert sizes[-1] == (842, 595) and "Extra 7" in wide.pages[-1].extract_text()


def test_rendered_pdf_pages_leave_the_side_margins_blank():
    """Rendered to pixels (pypdfium2): nothing of a chart or table reaches into the side margins."""
    import pypdfium2 as pdfium

    result = summarised_result(rows=many_rows(60))
    result.charts.append(
        Chart(
            "Long labels", "bar", [f"Vehicle with a very long name {i}" for i in range(30)], [Series("kWh", [1.0] * 30)]
        )
    )
    document = pdfium.PdfDocument(export_pdf(result))
    for index in range(len(document)):
        image = document[index].render(scale=2).to_pil().convert("L")
        margin = round((MARGIN_SIDE_MM - 1) / 25.4 * 72 * 2)  # 1 mm inside the margin, in pixels
        width, height = image.size
        for x0, x1 in ((0, margin), (width - margin, width)):
            strip = image.crop((x0, 0, x1, height))
            assert strip.getextrema()[0] >= 250, f"page {index + 1}: ink in the margin at x {x0}-{x1}"


def test_a_summary_figures_change_reads_with_its_sign_direction_and_unit():
    def change(*args, **kwargs) -> str:
        return figure_change(figure(*args), **kwargs).replace("\u202f", " ")

    assert change("energy_charged_kwh", 10.0, 0.0) == "▲ +10.0 kWh (from zero)"
    assert change("sessions", 1, 2) == "▼ −1 session (−50.0 %)"
    assert change("cost", Decimal("0.00"), Decimal("0.00"), "EUR") == "no change"
    assert change("cost_per_km", None, Decimal("0.250"), "EUR") == "no data this period (0.250 €/km the period before)"
    assert change("renewable_share_percent", 41.0, 40.5) == "▲ +0.5 pp (+1.2 %)"  # a share changes in points
    assert change("avoided_emissions_kg", -5.0, -10.0) == "▲ +5.0 kg CO2e (+50.0 %)"  # against the size before
    assert change("distance_km", 5.0, None) == "no data the period before"
    assert change("distance_km", 5.0, None, against="a year before") == "no data a year before"


def test_pdf_figures_have_thousands_separators_a_true_minus_and_no_negative_zero():
    assert grouped(1234567.891, 2) == "1,234,567.89"
    assert grouped(Decimal("-1234.50"), 2) == "−1,234.50"
    assert grouped(-0.04, 1) == "0.0"
    assert grouped(0.0, 1, sign=True) == "±0.0"
