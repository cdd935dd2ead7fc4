"""Cells of report tables: the same formatting as the exports (ReportResult.formatted)."""

from django import template

register = template.Library()


@register.simple_tag
def cell(result, column, row) -> str:
    value = row.get(column.key)
    if value is None:
        return "" if row is result.totals else "–"
    return result.formatted(column, value)
