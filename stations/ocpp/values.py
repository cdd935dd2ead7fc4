"""The values in a station's message that the JSON schemas cannot check, read into what the platform stores.

The `ocpp` library validates every payload against the official JSON schemas, which type a meter value as a
string (1.6) or a number (2.0.1) and mark timestamps `"format": "date-time"` without checking that format. So
`"NaN"`, `"Infinity"` or `"12 kWh"` as a 1.6 reading, or `"yesterday"` as a timestamp, pass the schema. They are
refused here, before anything of the message is stored, with the CALLERROR both protocol versions name for it:

- TypeConstraintViolation: the value is not of the field's data type: a decimal that is not a finite number, a
  dateTime that is not an RFC 3339 date and time, an integer beyond the 32 bits OCPP integers have;
- PropertyConstraintViolation: the right type, but a value the field cannot take: a negative meter start or
  stop or energy register (they count the energy imported, from 0), a state of charge outside 0-100 %.

Each error's description names the field, the value and what it must be; `details` carries the field.
"""

import math
import re
from datetime import UTC, datetime
from typing import Any

from ocpp.exceptions import PropertyConstraintViolationError, TypeConstraintViolationError

INT32_MAX = 2**31 - 1  # OCPP integers are 32-bit signed

# RFC 3339 date-time (the 1.6 spec says ISO 8601; stations send this form). A missing offset is read as UTC.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?", re.ASCII)
# A decimal number as text (1.6 sampledValue.value, format Raw); an exponent is tolerated.
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)

MEASURAND_FIELD = {
    "Energy.Active.Import.Register": "energy_wh",
    "Power.Active.Import": "power_kw",
    "SoC": "soc_percent",
    "Current.Import": "current_a",
    "Voltage": "voltage_v",
}
_SCALE = {("energy_wh", "kWh"): 1000.0, ("power_kw", "W"): 0.001, ("power_kw", "kW"): 1.0}


def _type_error(field: str, value: Any, expected: str) -> TypeConstraintViolationError:
    return TypeConstraintViolationError(f"{field}: {value!r} is not {expected}.", {"field": field})


def _value_error(field: str, value: Any, expected: str) -> PropertyConstraintViolationError:
    return PropertyConstraintViolationError(f"{field}: {value!r} {expected}.", {"field": field})


def timestamp(value: Any, field: str) -> datetime:
    """An OCPP dateTime as an aware datetime in UTC (a value without offset is UTC)."""
    expected = "a date and time such as 2026-03-01T12:00:00Z (RFC 3339)"
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise _type_error(field, value, expected)
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise _type_error(field, value, expected) from None


def integer(value: Any, field: str, *, minimum: int | None = None) -> int:
    """An OCPP integer (32-bit); below `minimum` is a value the field cannot take."""
    if isinstance(value, bool) or not isinstance(value, int) or not -INT32_MAX - 1 <= value <= INT32_MAX:
        raise _type_error(field, value, "a 32-bit integer")
    if minimum is not None and value < minimum:
        raise _value_error(field, value, f"is below {minimum}")
    return value


def number(value: Any, field: str) -> float:
    """A decimal: a finite JSON number (2.0.1) or a decimal number as text (1.6)."""
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise _type_error(field, value, "a decimal number")
        value = float(value)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(field, value, "a decimal number")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise _type_error(field, value, "a finite decimal number")
    return result


def sampled_values(entries: list[dict[str, Any]], field: str) -> dict[str, float]:
    """OCPP sampledValue entries -> {field: value} in Wh, kW, %, A, V (phases summed for power and current).

    Every entry's value is checked, also those of measurands the platform does not keep; signed data (1.6 format
    SignedData) is not a number and is skipped. Payload keys are the library's snake_case."""
    values: dict[str, float] = {}
    for index, entry in enumerate(entries or []):
        where = f"{field}[{index}].value"
        if entry.get("format") == "SignedData":
            continue
        measurand = entry.get("measurand") or "Energy.Active.Import.Register"
        reading = number(entry.get("value"), where)
        unit_of_measure = entry.get("unit_of_measure") or {}
        multiplier = integer(unit_of_measure.get("multiplier", 0), f"{field}[{index}].unitOfMeasure.multiplier")
        name = MEASURAND_FIELD.get(measurand)
        unit = entry.get("unit") or unit_of_measure.get("unit") or ("Wh" if name == "energy_wh" else "W")
        try:
            scaled = reading * _SCALE.get((name, unit), 1.0) * 10.0**multiplier
        except OverflowError:
            scaled = math.inf
        if not math.isfinite(scaled):
            raise _type_error(where, reading, f"a finite decimal number with multiplier {multiplier}")
        if measurand.endswith(".Register") and scaled < 0:
            raise _value_error(where, reading, f"is negative: {measurand} counts energy from 0")
        if measurand == "SoC" and not 0 <= scaled <= 100:
            raise _value_error(where, reading, "is outside 0-100: SoC is a percentage")
        if name is None:
            continue
        if name in ("power_kw", "current_a") and entry.get("phase") and name in values:
            values[name] += scaled
        else:
            values[name] = scaled
    return values


def meter_values(meter_values: list[dict[str, Any]] | None, field: str) -> list[tuple[datetime, dict[str, float]]]:
    """OCPP meterValue entries -> [(time, {field: value})] in time order, every value checked. Entries of one instant
    are one reading (the platform keeps one per connector and instant); instants with nothing kept drop."""
    entries_by_instant: dict[datetime, list[dict[str, Any]]] = {}
    for index, meter_value in enumerate(meter_values or []):
        where = f"{field}[{index}]"
        moment = timestamp(meter_value.get("timestamp"), f"{where}.timestamp")
        entries = meter_value.get("sampled_value") or []
        sampled_values(entries, f"{where}.sampledValue")  # checked with each entry's place in the message
        entries_by_instant.setdefault(moment, []).extend(entries)
    samples = [(moment, sampled_values(entries, field)) for moment, entries in sorted(entries_by_instant.items())]
    return [(moment, values) for moment, values in samples if values]
