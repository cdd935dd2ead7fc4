"""The computed content of a report, independent of its format.

The metrics engine fills a ReportResult; the exporters (CSV, XLSX, JSON, PDF) only lay it out. Values are
already rounded when they arrive here (money as Decimal in the currency's minor unit, other numbers as
float rounded to their column's decimals), so every format shows the same figures.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Value = str | int | float | Decimal | None


@dataclass(frozen=True)
class Column:
    """One column: `key` in the row dicts, a label for people, its unit and how many decimals it shows."""

    key: str
    label: str
    unit: str = ""
    kind: Literal["text", "number", "money", "percent", "integer"] = "number"
    decimals: int = 1

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    """A chart of the report: bars per group or a line over days. `x` are the labels, one per value."""

    title: str
    kind: Literal["bar", "line"]
    x: list[str]
    series: list[Series]
    y_label: str = ""


@dataclass(frozen=True)
class Figure:
    """One key figure of the summary a PDF opens with: its value in the period and in the period before.

    `before` is None when the period before had no data for it (not when it was zero); `change` and
    `change_percent` are then None too, and so is `change_percent` when the figure was zero before.
    """

    key: str
    label: str
    unit: str  # "kWh", "%", "kg CO2e"; money: "" (the report's currency) or "km" for a cost per km
    kind: Literal["number", "money", "percent", "integer"]
    decimals: int
    value: int | float | Decimal | None
    before: int | float | Decimal | None
    change: int | float | Decimal | None = None
    change_percent: float | None = None

    @property
    def direction(self) -> Literal["up", "down", "flat", ""]:
        """Which way the figure went against the period before ("" when there is nothing to compare)."""
        if self.change is None:
            return ""
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"


@dataclass(frozen=True)
class Summary:
    """The key figures of a report's period and of the period before, which it names."""

    figures: list[Figure]
    before_start: date
    before_end: date
    against: str = "the period before"  # or "a year before"


@dataclass
class ReportResult:
    """A table of metrics per group over a period, with totals, notes and charts."""

    title: str
    scope: str  # the department (or "All departments") the figures cover
    period_start: date  # first local day, inclusive
    period_end: date  # last local day, inclusive
    grouping: str  # the grouping key, e.g. "vehicle"
    columns: list[Column]  # the first column is the group's label
    rows: list[dict[str, Value]]
    totals: dict[str, Value] = field(default_factory=dict)  # same keys as the rows; the label column says "Total"
    currency: str = ""
    notes: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    generated_at: datetime | None = None  # aware, in the report's time zone
    time_zone: str = ""  # the IANA zone the local days of the period are in, e.g. "Europe/Berlin"
    summary: Summary | None = None  # the key figures a PDF opens with (made for PDFs only: it costs queries)

    def formatted(self, column: Column, value: Value) -> str:
        """The value as text, the same in every format: fixed decimals, no thousands separators."""
        if value is None:
            return ""
        if column.kind == "text":
            return str(value)
        if column.kind == "integer":
            return str(int(value))
        if column.kind == "money":
            return str(value) if isinstance(value, Decimal) else f"{value:.2f}"
        return f"{float(value):.{column.decimals}f}"
