"""Cells of report tables on pages: the figures of the exports (ReportResult) as people read them, with
thousands separators and money to the currency's minor unit (evfleet.formatting, as emails and PDFs)."""

from django import template

from evfleet import formatting

register = template.Library()


@register.simple_tag
def cell(result, column, row) -> str:
    value = row.get(column.key)
    if value is None:
        return "" if row is result.totals else "–"
    if column.kind == "text":
        return str(value)
    if column.kind == "integer":
        return formatting.integer(value)
    if column.kind == "money" and "/" not in column.unit:  # an amount; a cost per km keeps its decimals
        return formatting.number(value, formatting.minor_units(result.currency))
    return formatting.number(value, column.decimals)
