"""Money in pricing: the precision of unit prices and totals, ISO 4217 currencies and their minor units."""

from babel.numbers import get_currency_precision, list_currencies
from django.core.exceptions import ValidationError

MONEY = {"max_digits": 12, "decimal_places": 6}  # unit prices: sub-cent precision (0.123456 per kWh)
TOTAL = {"max_digits": 14, "decimal_places": 4}  # session amounts, rounded to the currency's minor unit


def validate_currency(value: str) -> None:
    if value not in list_currencies() or value != value.upper():
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code; use e.g. EUR, USD, GBP, JPY.")


# What the validators admit, for the OpenAPI schema (evfleet/api/schema.py).
validate_currency.openapi_component = "Currency"
validate_currency.openapi_schema = lambda: {
    "type": "string",
    "enum": sorted(code for code in list_currencies() if code == code.upper()),
    "description": "An ISO 4217 currency code, e.g. EUR.",
}
validate_currency.openapi_invalid = "EUX"


def currency_minor_units(code: str) -> int:
    return get_currency_precision(code)
