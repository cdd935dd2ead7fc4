"""The summary a PDF report opens with: the key figures of its period and their change against the period before.

The figures are the report's own metrics, then the headline figures of the data the report covers (energy, cost
and sessions for charging; distance and CO2 avoided with vehicle telemetry; availability for sites; offsets), all
summed over the whole period from the same rollups as the table, so a figure here is the table's total. Made only
for PDFs: it costs a query per source and period (the table's totals alone would not say what happened before).
"""

from dataclasses import replace

from accounts.models import User
from analytics.metrics import METRICS, Context, Parts, Spec, compute_parts, derive, load_context, main_currency
from analytics.periods import Period
from analytics.reporting.exports import export
from analytics.reporting.result import Figure, ReportResult, Summary

MAX_FIGURES = 8
# the figures a reader looks for first, in that order; each is shown when the report covers all of its sources
HEADLINES = [
    "energy_charged_kwh",
    "cost",
    "sessions",
    "connector_availability_percent",
    "avoided_emissions_kg",
    "distance_km",
    "energy_consumed_kwh",
    "connector_utilization_percent",
    "peak_demand_kw",
    "offsets_kg",
]


def summary_metrics(metrics: list[str]) -> list[str]:
    """The report's metrics, then the headlines its sources cover, at most MAX_FIGURES.

    A headline whose sources the report covers takes the report's filters too: every source of the report's
    metrics accepted them (metrics.validate)."""
    sources = {source for key in metrics for source in METRICS[key].sources}
    chosen = list(dict.fromkeys(metrics))
    chosen += [key for key in HEADLINES if key not in chosen and set(METRICS[key].sources) <= sources]
    return chosen[:MAX_FIGURES]


def _source_has_data(parts: Parts, source: str) -> bool:
    if source == "charging":
        return parts.sessions > 0 or parts.energy_kwh > 0 or any(parts.cost.values())
    if source == "usage":
        return parts.distance_km > 0 or parts.consumed_kwh > 0
    if source == "site":
        return parts.total_h > 0
    return parts.offsets_kg > 0


def _totals(spec: Spec, period: Period, user: User | None, context: Context) -> Parts:
    total_spec = replace(spec, period=period, grouping="total", sort_by="", limit=None)
    return compute_parts(total_spec, user, context, ["total"])["total"].get("total", Parts())


def figure(key: str, value, before, currency: str = "") -> Figure:
    """A summary figure with its change against `before` (None: no data then)."""
    metric = METRICS[key]
    column = metric.column(currency)
    change = percent = None
    if value is not None and before is not None:
        change = value - before
        if isinstance(change, float):
            change = round(change, metric.decimals)
        if before:
            percent = round(float(value - before) / abs(float(before)) * 100.0, 1)
    return Figure(key, metric.label, column.unit, metric.kind, metric.decimals, value, before, change, percent)


AGAINST = {"previous": "the period before", "year_before": "a year before"}


def summarise(spec: Spec, user: User | None, compare_to: str = "previous") -> Summary:
    """The key figures of the spec's period against the period before (or the same dates a year before)."""
    against = spec.period.compared(compare_to)
    keys = summary_metrics(spec.metrics)
    spec = replace(spec, metrics=keys)
    context = load_context(spec, user)
    now, then = _totals(spec, spec.period, user, context), _totals(spec, against, user, context)
    currency = main_currency({"now": now})[0] or main_currency({"then": then})[0]
    values, earlier = derive(now, currency), derive(then, currency)
    figures = []
    for key in keys:
        had_data = any(_source_has_data(then, source) for source in METRICS[key].sources)
        before = earlier[key] if had_data else None
        value = values[key]
        if METRICS[key].kind == "money" and not currency:
            value = before = None  # nothing was priced in either period
        figures.append(figure(key, value, before, currency))
    return Summary(figures, against.first, against.last, AGAINST[compare_to])


def export_report(result: ReportResult, spec: Spec, fmt: str, user: User | None, compare_to: str | None = None):
    """The report as a file (bytes, content type, extension); a PDF opens with its summary, against the period
    the report is compared with (by default the one before)."""
    if fmt == "pdf":
        result.summary = summarise(spec, user, compare_to or "previous")
    return export(result, fmt)
