"""Figures written for people in the PDF: thousands separators, money to its currency's minor unit, a unit on
every figure, a change with its sign and direction.

What a PDF needs beyond the project's shared formatting (`evfleet.formatting`, whose currency symbols and
minor units it uses): a table cell by its column's kind, a summary figure with its change, a true minus sign
and no-break spaces before units. CSV, XLSX and JSON keep `ReportResult.formatted` (no separators), which
programs read back.
"""

from decimal import Decimal

from evfleet import formatting

from .result import Column, Figure, Value

NO_DATA = "—"
THIN_SPACE = "\u202f"  # narrow no-break space: "12.5 kWh" never breaks between number and unit


def decimals_of(value: Value, kind: str, decimals: int, currency: str = "") -> int:
    """How many decimals a figure shows: money its own (a Decimal in its currency's minor unit), else the column's."""
    if kind == "integer":
        return 0
    if kind == "money":
        if isinstance(value, Decimal):
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int):
                return max(-exponent, 0)
        return formatting.minor_units(currency)
    return decimals


def grouped(value: int | float | Decimal, decimals: int, sign: bool = False) -> str:
    """`value` with thousands separators and `decimals` decimals; "-0.0" reads "0.0"."""
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    if text.lstrip("+-").strip("0.,") == "":
        text = text.lstrip("+-")
        text = ("±" if sign else "") + text
    return text.replace("-", "−")  # a true minus sign


def currency_symbol(currency: str) -> str:
    """€ for EUR, $ for USD, £ for GBP; the code itself when a currency has no symbol of its own."""
    return formatting.currency_symbol(currency) if currency else ""


def unit_text(unit: str, kind: str) -> str:
    """The unit as a reader sees it: a currency code as its symbol ("EUR/km" → "€/km")."""
    if kind == "money" and unit:
        code, _, per = unit.partition("/")
        return currency_symbol(code) + (f"/{per}" if per else "")
    return unit


def with_unit(number: str, unit: str) -> str:
    if not unit:
        return number
    return f"{number}{THIN_SPACE}{unit}" if unit != "%" else f"{number}{THIN_SPACE}%"


def cell(column: Column, value: Value, currency: str = "") -> str:
    """A table cell: the figure with separators (its column's heading carries the unit)."""
    if value is None:
        return ""
    if column.kind == "text" or isinstance(value, str):
        return str(value)
    return grouped(value, decimals_of(value, column.kind, column.decimals, currency))


def figure_parts(figure: Figure) -> tuple[str, str]:
    """A summary figure's number and unit: ("1,234.5", "kWh"), ("12,345.67", "€"), ("42", "sessions")."""
    if figure.value is None:
        return NO_DATA, ""
    number = grouped(figure.value, decimals_of(figure.value, figure.kind, figure.decimals, _code(figure)))
    if figure.key == "sessions":
        return number, "session" if figure.value == 1 else "sessions"
    return number, unit_text(figure.unit, figure.kind)


def figure_value(figure: Figure) -> str:
    """A summary figure with its unit: "1,234.5 kWh", "12,345.67 €", "0.261 €/km", "97.5 %", "42 sessions"."""
    return with_unit(*figure_parts(figure))


def figure_change(figure: Figure, against: str = "the period before") -> str:
    """The change against the period before: "▲ +12.5 kWh (+4.1 %)", "▼ −2.0 pp", "no change", or why none."""
    if figure.before is None:
        return f"no data {against}"
    if figure.value is None:
        return f"no data this period ({figure_value_before(figure)} {against})"
    if figure.change == 0:
        return "no change"
    arrow = "▲" if figure.direction == "up" else "▼"
    decimals = decimals_of(figure.change, figure.kind, figure.decimals, _code(figure))
    number = grouped(figure.change, decimals, sign=True)
    # a share's change is in percentage points; its relative change follows in %
    unit = "pp" if figure.unit == "%" else unit_text(figure.unit, figure.kind)
    absolute = f"{number} session{'' if abs(figure.change) == 1 else 's'}" if figure.key == "sessions" else None
    text = f"{arrow} {absolute or with_unit(number, unit)}"
    if figure.change_percent is None:
        return f"{text} (from zero)"
    return f"{text} ({with_unit(grouped(figure.change_percent, 1, sign=True), '%')})"


def figure_value_before(figure: Figure) -> str:
    return figure_value(Figure(**{**figure.__dict__, "value": figure.before}))


def _code(figure: Figure) -> str:
    return figure.unit.partition("/")[0] if figure.kind == "money" else ""
