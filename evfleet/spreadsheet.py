"""Formula injection: text cells that a spreadsheet would run as a formula are neutralised in every export.

A fleet number such as `=cmd|' /C calc'!A0` or `@SUM(...)` typed by one user would run in the spreadsheet of
whoever opens the export. Following OWASP's CSV injection guidance, a text value that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'` in CSV; in XLSX it is stored as a text cell with Excel's quote
prefix (what typing a leading `'` does: shown as typed, never a formula, not even after an edit). Only text is
touched: numbers stay numbers (-12.5 is a number, not an attack). Plain Python, no Django.
"""

import re
from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters an XLSX file cannot hold (XML 1.0 forbids these controls; openpyxl refuses them): shown as U+FFFD, so a
# name someone typed with one in it still exports, with a visible mark where the character was.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_cell(value: object) -> object:
    """One CSV cell: text that a spreadsheet would read as a formula gets a leading `'`; other values as they are."""
    if is_formula_like(value):
        return "'" + value  # type: ignore[operator]
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    """A row for csv.writer with every text cell neutralised (numbers, None and dates pass unchanged)."""
    return [csv_cell(value) for value in values]


def csv_text(value: str, *, is_number: bool) -> str:
    """A value already formatted as text: neutralised unless it is the text of a number (e.g. "-12.50")."""
    return value if is_number else csv_cell(value)  # type: ignore[return-value]


def xlsx_text(value: object) -> object:
    """A value an XLSX cell can hold: text with a character XML forbids gets U+FFFD in its place."""
    if isinstance(value, str):
        return XLSX_ILLEGAL.sub("\ufffd", value)
    return value


def xlsx_neutralise(workbook) -> None:
    """Make every formula-like text cell of an openpyxl workbook plain text with Excel's quote prefix.

    openpyxl turns any string that starts with `=` into a formula; the exports never write formulas, so every
    such cell, and every other text cell starting with a trigger, becomes a text cell.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if is_formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
