"""Exporters: lay out a computed ReportResult as CSV, XLSX, JSON or PDF.

Pure functions over the dataclasses in result.py: no database, no Django. Every format shows the figures that
`ReportResult.formatted` gives, so a number reads the same in the spreadsheet, the JSON and the PDF.
"""

import base64
import csv
import html
import io
import json
import math
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from evfleet.spreadsheet import csv_row, csv_text, xlsx_neutralise, xlsx_text

from . import numbers
from .numbers import figure_change, figure_parts, grouped, unit_text
from .result import Chart, Column, ReportResult, Value

TOTAL_LABEL = "Total"
MAX_BAR_GROUPS = 25
MAX_LINE_TICKS = 20
MAX_TICK_LABEL = 18  # characters; longer tick labels end in "…"
FONT_FAMILY = "DejaVu Sans"


# --- shared helpers ------------------------------------------------------------------------------------------


def _period(result: ReportResult) -> str:
    return f"{result.period_start:%Y-%m-%d} to {result.period_end:%Y-%m-%d}"


def _generated(result: ReportResult) -> str:
    """The generation time for people: minutes and the zone's name when the datetime has one."""
    if result.generated_at is None:
        return ""
    zone = result.generated_at.tzname()
    return f"{result.generated_at:%Y-%m-%d %H:%M}" + (f" {zone}" if zone else "")


def _totals_row(result: ReportResult) -> dict[str, Value] | None:
    """The totals as a row whose label column says "Total", or None when the report has no totals."""
    if not result.totals:
        return None
    # the label column (after a rank column in ranked reports) says "Total"; the rank stays empty
    label_key = next((c.key for c in result.columns if c.kind == "text"), result.columns[0].key)
    return {**result.totals, label_key: result.totals.get(label_key) or TOTAL_LABEL}


def _is_number(column: Column, value: Value) -> bool:
    return column.kind != "text" and isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _money_decimals(value: Value) -> int:
    """Decimals `formatted` shows for money: the Decimal's own exponent (its currency's minor unit), else 2."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return 2


# --- CSV -----------------------------------------------------------------------------------------------------


def export_csv(result: ReportResult) -> bytes:
    """UTF-8 CSV (no BOM): a row of headings, one row per group, then the Total row when there are totals.

    Text that a spreadsheet would run as a formula (a name starting with `=`, say) gets a leading `'`; the
    figures of numeric columns stay as they are, negative ones included (evfleet/spreadsheet.py).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_row(column.heading for column in result.columns))
    rows = list(result.rows)
    if (totals := _totals_row(result)) is not None:
        rows.append(totals)
    for row in rows:
        writer.writerow(
            [
                csv_text(result.formatted(column, value), is_number=_is_number(column, value))
                for column in result.columns
                for value in [row.get(column.key)]
            ]
        )
    return buffer.getvalue().encode("utf-8")


# --- XLSX ----------------------------------------------------------------------------------------------------


def _xlsx_cell(result: ReportResult, column: Column, value: Value) -> tuple[Value, str | None]:
    """The cell's value (a real number for numeric columns) and its number format."""
    if value is None:
        return None, None
    if not _is_number(column, value):
        return result.formatted(column, value), None
    if column.kind == "integer":
        return int(value), "0"
    if column.kind == "money":
        decimals = _money_decimals(value)
        # openpyxl stores a Decimal exactly (its str), so money keeps its cents without a trip through float.
        cell_value = value if isinstance(value, Decimal) else Decimal(result.formatted(column, value))
    else:
        decimals = column.decimals
        cell_value = float(result.formatted(column, value))  # exactly the figure the other formats show
    return cell_value, "0" if decimals <= 0 else "0." + "0" * decimals


def export_xlsx(result: ReportResult) -> bytes:
    """A workbook: "Report" (title row, blank row, frozen bold headings, numeric rows, bold Total) and "Notes"."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Report"
    sheet.append([xlsx_text(f"{result.title} · {result.scope} · {_period(result)}")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([xlsx_text(column.heading) for column in result.columns])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    sheet.freeze_panes = f"A{header_row + 1}"

    widths = [len(column.heading) for column in result.columns]
    totals = _totals_row(result)
    rows = [*result.rows, totals] if totals is not None else list(result.rows)
    for sheet_row, row in enumerate(rows, start=header_row + 1):
        for index, column in enumerate(result.columns):
            value, number_format = _xlsx_cell(result, column, row.get(column.key))
            cell = sheet.cell(row=sheet_row, column=index + 1, value=xlsx_text(value))
            if number_format:
                cell.number_format = number_format
            if row is totals:
                cell.font = bold
            widths[index] = max(widths[index], len(result.formatted(column, row.get(column.key))))
    for index, column in enumerate(result.columns):
        letter = get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = min(widths[index] + 2, 60)
        if column.kind != "text":
            sheet.cell(row=header_row, column=index + 1).alignment = Alignment(horizontal="right")

    notes = workbook.create_sheet("Notes")
    notes.append(["Notes"])
    notes["A1"].font = bold
    for note in result.notes:
        notes.append([xlsx_text(note)])
    notes.append([])
    # As text: Excel has no time zones, and the zone is part of what the time means.
    notes.append(["Generated at", _generated(result)])
    notes.column_dimensions["A"].width = min(max([len(note) for note in result.notes] + [14]) + 2, 120)

    xlsx_neutralise(workbook)  # text is never a formula, whoever named the vehicle or the report
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- JSON ----------------------------------------------------------------------------------------------------


def _json_value(result: ReportResult, column: Column, value: Value) -> str | int | float | None:
    """Money as the formatted string ("12.50"), integers as ints, other numbers rounded to the column's decimals."""
    if value is None:
        return None
    if not _is_number(column, value):
        return result.formatted(column, value)
    if column.kind == "integer":
        return int(value)
    if column.kind == "money":
        return result.formatted(column, value)
    number = float(value)
    if not math.isfinite(number):
        return None  # JSON has no NaN or infinity
    return round(number) if column.decimals <= 0 else round(number, column.decimals)


def export_json(result: ReportResult) -> bytes:
    """A JSON document with the report's metadata, column definitions, rows, totals and notes."""

    def as_json(row: dict[str, Value]) -> dict[str, str | int | float | None]:
        values = {column.key: _json_value(result, column, row.get(column.key)) for column in result.columns}
        return {"key": row["key"], **values} if "key" in row else values

    totals = _totals_row(result)
    document = {
        "title": result.title,
        "scope": result.scope,
        "period": {"start": result.period_start.isoformat(), "end": result.period_end.isoformat()},
        "grouping": result.grouping,
        "currency": result.currency,
        "columns": [
            {"key": c.key, "label": c.label, "unit": c.unit, "kind": c.kind, "decimals": c.decimals}
            for c in result.columns
        ],
        "rows": [as_json(row) for row in result.rows],
        "totals": as_json(totals) if totals is not None else {},
        "notes": list(result.notes),
        "generated_at": result.generated_at.isoformat() if result.generated_at else None,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


# --- PDF -----------------------------------------------------------------------------------------------------

# A4 portrait; a table too wide for it gets landscape pages of its own. Charts are drawn at the content width, so
# their 7 pt labels print at 7 pt and nothing is scaled, cut or pushed past the margin.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGIN_TOP_MM, MARGIN_SIDE_MM, MARGIN_BOTTOM_MM = 20, 15, 18
CONTENT_WIDTH_MM = PAGE_WIDTH_MM - 2 * MARGIN_SIDE_MM
CHART_HEIGHT_MM = 56
MM_PER_INCH = 25.4
WIDE_TABLE_COLUMNS = 7  # more columns than this (a comparison, many metrics) print on landscape pages


def _plot_values(values: list[float | None]) -> list[float]:
    return [math.nan if value is None else float(value) for value in values]


def _tick_label(label: str) -> str:
    return label if len(label) <= MAX_TICK_LABEL else label[: MAX_TICK_LABEL - 1] + "…"


def _bar_chart(axes: Axes, chart: Chart) -> list[str]:
    labels = [_tick_label(label) for label in chart.x[:MAX_BAR_GROUPS]]
    title = chart.title
    if len(chart.x) > MAX_BAR_GROUPS:
        title += f" (first {MAX_BAR_GROUPS} of {len(chart.x)})"
    count = max(len(chart.series), 1)
    width = 0.8 / count
    for index, series in enumerate(chart.series):
        values = _plot_values(series.values[: len(labels)])
        offset = (index - (count - 1) / 2) * width
        axes.bar([position + offset for position in range(len(values))], values, width=width, label=series.name)
    axes.set_xticks(range(len(labels)))
    axes.set_title(title, fontsize=9)
    return labels


def _line_chart(axes: Axes, chart: Chart) -> list[str]:
    for series in chart.series:
        values = _plot_values(series.values)
        # markers while the days are few, so a day between two missing ones still shows
        marker = "o" if len(values) <= 45 else None
        axes.plot(range(len(values)), values, linewidth=1.2, marker=marker, markersize=2.5, label=series.name)
    step = math.ceil(len(chart.x) / MAX_LINE_TICKS) if len(chart.x) > MAX_LINE_TICKS else 1
    axes.set_xticks(range(0, len(chart.x), step))
    axes.set_title(chart.title, fontsize=9)
    return [_tick_label(label) for label in chart.x[::step]]


def _axis_number(value: float, _position: object) -> str:
    """A tick: thousands separators, and the decimals it needs (up to 2): 1,500 · 2.5 · 0.25."""
    text = grouped(value, 2)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _chart_svg(chart: Chart) -> str:
    """The chart drawn with matplotlib's object API (no pyplot: its global state is not thread safe), as SVG the
    size it prints at: the page's content width by CHART_HEIGHT_MM.

    Margins are set from the tick labels' length rather than by a constrained layout, which would cost an extra
    draw per chart (about a third of the chart time); tick labels are cut to MAX_TICK_LABEL characters for that.
    """
    width, height = CONTENT_WIDTH_MM / MM_PER_INCH, CHART_HEIGHT_MM / MM_PER_INCH  # inches
    figure = Figure(figsize=(width, height))
    axes = figure.add_subplot()
    labels = (_bar_chart if chart.kind == "bar" else _line_chart)(axes, chart)
    longest = max((len(label) for label in labels), default=0)
    rotate = len(labels) > 8 or longest * len(labels) > 80  # would they overlap side by side?
    axes.set_xticklabels(labels, rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=7)
    axes.set_ylabel(chart.y_label, fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(_axis_number))
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if len(chart.series) > 1:
        axes.legend(fontsize=7, frameon=False)
    values = [v for series in chart.series for v in series.values if v is not None]
    if values and min(values) >= 0:
        axes.set_ylim(bottom=0)  # amounts read against zero
    if values and all(float(v).is_integer() for v in values):
        axes.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))  # counts: no 1.5 sessions
    # A 7 pt DejaVu character is about 0.055 in wide; turned 45° a label drops by 0.7 of its length.
    bottom = 0.3 + (0.04 * longest if rotate else 0.0)
    figure.subplots_adjust(left=0.75 / width, right=0.98, top=1 - 0.3 / height, bottom=bottom / height)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


_CSS = f"""
@page {{
  size: A4 portrait;
  font-family: "{FONT_FAMILY}", sans-serif;
  margin: {MARGIN_TOP_MM}mm {MARGIN_SIDE_MM}mm {MARGIN_BOTTOM_MM}mm {MARGIN_SIDE_MM}mm;
  @top-left {{ content: string(scope) " · " string(period);
              font-size: 7.5pt; color: #555; vertical-align: bottom; padding-bottom: 3mm; }}
  @bottom-left {{ content: string(generated); font-size: 7.5pt; color: #555; vertical-align: top; padding-top: 3mm; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-size: 7.5pt; color: #555;
                  vertical-align: top; padding-top: 3mm; }}
}}
@page wide {{ size: A4 landscape; }}
body {{ margin: 0; font-family: "{FONT_FAMILY}", sans-serif; font-size: 8.5pt; color: #111; }}
h1 {{ font-size: 16pt; margin: 0 0 1.5mm 0; }}
h2 {{ font-size: 10.5pt; margin: 5mm 0 2mm 0; }}
.meta {{ margin: 0; color: #333; }}
.meta .item {{ display: inline-block; margin: 0 4mm 0 0; }}
.meta .key {{ color: #666; }}
.scope {{ string-set: scope content(text); }}
.period {{ string-set: period content(text); }}
.generated {{ string-set: generated "Generated " content(text); }}
.against {{ color: #555; margin: -1mm 0 2mm 0; }}
.summary {{ display: flex; flex-wrap: wrap; gap: 2mm; }}
.kpi {{ box-sizing: border-box; width: calc((100% - 6mm) / 4); border: 0.5pt solid #c8ccd2; border-radius: 1.5mm;
        padding: 2mm 2.5mm; break-inside: avoid; }}
.kpi .label {{ color: #555; font-size: 7.5pt; }}
.kpi .value {{ font-size: 12.5pt; font-weight: bold; margin: 0.8mm 0; }}
.kpi .value .unit {{ font-size: 9pt; font-weight: normal; color: #333; }}
.kpi .change {{ font-size: 7.5pt; color: #333; }}
.kpi .change.none {{ color: #888; font-style: italic; }}
.chart {{ margin: 0 0 3mm 0; break-inside: avoid; }}
.chart img {{ display: block; width: {CONTENT_WIDTH_MM}mm; height: {CHART_HEIGHT_MM}mm; max-width: 100%; }}
.wide {{ page: wide; }}
/* Fixed layout: widths come from the heading row instead of measuring every cell (a third of the table time). */
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
th.label {{ width: 20%; }}
th.rank {{ width: 6%; }}
thead {{ display: table-header-group; }}
th, td {{ padding: 1.2mm 1.5mm; border-bottom: 0.3pt solid #ccc; text-align: left; overflow-wrap: anywhere; }}
th {{ border-bottom: 0.8pt solid #333; background: #f0f0f0; font-size: 7pt; vertical-align: bottom;
      overflow-wrap: break-word; hyphens: auto; }}
.wide th {{ font-size: 6.5pt; }}
.num {{ text-align: right; }}
tr {{ break-inside: avoid; }}
tr.total td {{ font-weight: bold; border-top: 0.8pt solid #333; border-bottom: none; }}
.notes {{ margin-top: 5mm; }}
.notes li {{ margin: 0 0 1mm 0; }}
"""


def _align(column: Column) -> str:
    return "" if column.kind == "text" else "num"


def _local_period(result: ReportResult) -> str:
    """The period's local days with their zone named: "1 Mar 2024 – 31 Mar 2024, Europe/Berlin (CET → CEST)"."""
    text = f"{result.period_start:%-d %b %Y} – {result.period_end:%-d %b %Y}"
    if not result.time_zone:
        return text
    zone = ZoneInfo(result.time_zone)
    opens = datetime.combine(result.period_start, time(0), zone).tzname()
    closes = datetime.combine(result.period_end + timedelta(days=1), time(0), zone).tzname()
    names = opens if opens == closes else f"{opens} → {closes}"
    return f"{text}, {result.time_zone}" + (f" ({names})" if names and names != result.time_zone else "")


def _local_generated(result: ReportResult) -> str:
    """ "1 Apr 2024, 10:30 CEST": the generation time in the report's zone, with the zone's abbreviation."""
    if result.generated_at is None:
        return ""
    generated = result.generated_at
    if result.time_zone:
        generated = generated.astimezone(ZoneInfo(result.time_zone))
    zone = generated.tzname()
    return f"{generated:%-d %b %Y, %H:%M}" + (f" {zone}" if zone else "")


def _summary_html(result: ReportResult) -> str:
    summary = result.summary
    if summary is None or not summary.figures:
        return ""
    escape = html.escape
    before = f"{summary.before_start:%-d %b %Y} – {summary.before_end:%-d %b %Y}"
    tiles = []
    for figure in summary.figures:
        change = figure_change(figure, summary.against)
        number, unit = figure_parts(figure)
        value = escape(number) + (f' <span class="unit">{escape(unit)}</span>' if unit else "")
        none = " none" if figure.change is None else ""
        tiles.append(
            f'<div class="kpi" data-key="{escape(figure.key)}"><div class="label">{escape(figure.label)}</div>'
            f'<div class="value">{value}</div>'
            f'<div class="change{none}">{escape(change)}</div></div>'
        )
    return (
        '<section class="summary-section"><h2>Summary</h2>'
        f'<p class="against">Changes against {escape(summary.against)}: {escape(before)}.</p>'
        f'<div class="summary">{"".join(tiles)}</div></section>'
    )


def _html(result: ReportResult) -> str:
    """The report as a self-contained HTML page for WeasyPrint; charts are embedded as SVG data URIs."""
    escape = html.escape
    meta = [("Department", result.scope, "scope"), ("Period", _local_period(result), "period")]
    if generated := _local_generated(result):
        meta.append(("Generated", generated, "generated"))
    charts = []
    for chart in result.charts:
        svg = base64.b64encode(_chart_svg(chart).encode("utf-8")).decode("ascii")
        charts.append(
            f'<div class="chart"><img alt="{escape(chart.title)}" src="data:image/svg+xml;base64,{svg}"></div>'
        )

    def cells(row: dict[str, Value]) -> str:
        return "".join(
            f'<td class="{_align(column)}">{escape(numbers.cell(column, row.get(column.key), result.currency))}</td>'
            for column in result.columns
        )

    def heading(column: Column) -> str:
        kind = column.key if column.key in ("label", "rank") else _align(column)
        unit = unit_text(column.unit, column.kind)
        text = f"{column.label} ({unit})" if unit else column.label
        return f'<th class="{kind}">{escape(text)}</th>'

    head = "".join(heading(column) for column in result.columns)
    body = [f"<tr>{cells(row)}</tr>" for row in result.rows]
    if (totals := _totals_row(result)) is not None:
        body.append(f'<tr class="total">{cells(totals)}</tr>')
    wide = len(result.columns) > WIDE_TABLE_COLUMNS
    group = next((c.label for c in result.columns if c.kind == "text"), "")
    table_title = "Figures" if result.grouping == "total" or not group else f"Figures by {group.lower()}"
    notes = ""
    if result.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in result.notes)
        notes = f'<div class="notes"><h2>Notes</h2><ul>{items}</ul></div>'
    details = " ".join(
        f'<span class="item"><span class="key">{escape(label)}</span> <span class="{css}">{escape(value)}</span></span>'
        for label, value, css in meta
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(result.title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(result.title)}</h1>"
        f'<p class="meta">{details}</p>'
        f"{_summary_html(result)}"
        + (f"<h2>Charts</h2>{''.join(charts)}" if charts else "")
        + f'<section class="{"wide" if wide else "narrow"}"><h2>{escape(table_title)}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{notes}</section></body></html>"
    )


def export_pdf(result: ReportResult) -> bytes:
    """An A4 PDF: heading, the summary, charts, the table (headings repeated on every page; landscape when it is
    wide), notes; the department, period and page numbers on every page."""
    from weasyprint import HTML

    return HTML(string=_html(result)).write_pdf()


# --- dispatch ------------------------------------------------------------------------------------------------

EXPORTERS: dict[str, tuple[Callable[[ReportResult], bytes], str]] = {
    "csv": (export_csv, "text/csv"),
    "xlsx": (export_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": (export_json, "application/json"),
    "pdf": (export_pdf, "application/pdf"),
}


def export(result: ReportResult, fmt: str) -> tuple[bytes, str, str]:
    """The report in `fmt`: its bytes, content type and file extension."""
    if fmt not in EXPORTERS:
        raise ValueError(f"Unknown format {fmt!r}: choose csv, xlsx, json or pdf.")
    exporter, content_type = EXPORTERS[fmt]
    return exporter(result), content_type, fmt
