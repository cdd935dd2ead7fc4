"""Regular expressions for numbers within bounds, used as JSON Schema `pattern`s of decimal strings.

A decimal travels as a string (`"12.5"`), and a string schema cannot say `minimum`: the pattern does. It admits
exactly the canonical spellings the server accepts between the bounds: no sign unless negatives are allowed, no
leading zeros, at most the field's decimal places (`decimal_pattern(Decimal("0.1"), Decimal("9999999.9"), 1)`
refuses "-5", "0" and "0.05" and admits "0.1", "12" and "12.5").
"""

from decimal import Decimal


def _group(pattern: str) -> str:
    return f"(?:{pattern})" if "|" in pattern else pattern


def _digit(low: int, high: int) -> str:
    return str(low) if low == high else f"[{low}-{high}]"


def _same_length(lo: str, hi: str) -> str:
    """Digit strings of one length from lo to hi (inclusive), leading zeros kept."""
    if lo == hi:
        return lo
    rest = len(lo) - 1
    any_rest = "[0-9]" + (f"{{{rest}}}" if rest > 1 else "") if rest else ""
    if lo[0] == hi[0]:
        return lo[0] + _group(_same_length(lo[1:], hi[1:]))
    parts = []
    low, high = int(lo[0]), int(hi[0])
    if rest and lo[1:] != "0" * rest:
        parts.append(lo[0] + _group(_same_length(lo[1:], "9" * rest)))
        low += 1
    tail = None
    if rest and hi[1:] != "9" * rest:
        tail = hi[0] + _group(_same_length("0" * rest, hi[1:]))
        high -= 1
    if low <= high:
        parts.append(_digit(low, high) + any_rest)
    if tail:
        parts.append(tail)
    return "|".join(parts)


def integers(lo: int, hi: int) -> str:
    """Whole numbers from lo to hi (0 <= lo <= hi), without leading zeros."""
    parts, full = [], []  # full: lengths whose every number is in range, written together as [1-9][0-9]{m,n}
    if lo == 0:
        parts.append("0")
        lo = 1
        if hi == 0:
            return "0"
    for length in range(len(str(lo)), len(str(hi)) + 1):
        low = lo if length == len(str(lo)) else 10 ** (length - 1)
        high = hi if length == len(str(hi)) else 10**length - 1
        if low == 10 ** (length - 1) and high == 10**length - 1:
            full.append(length)
        else:
            parts.append(_same_length(str(low), str(high)))
    if full:
        low, high = full[0] - 1, full[-1] - 1
        repeat = "" if high == 0 else f"{{{low},{high}}}" if low != high else f"{{{low}}}" if low > 1 else ""
        parts.append("[1-9]" + ("[0-9]" + repeat if high else ""))
    return "|".join(parts)


def _fractions(low: str | None, high: str | None, places: int) -> str:
    """An optional fraction (".5", ".25") whose value, padded to `places` digits, lies in [low, high]."""
    if places == 0:
        return ""
    low, high = low or "0" * places, high or "9" * places
    if set(low) <= {"0"} and set(high) <= {"9"}:
        return rf"(?:\.[0-9]{{1,{places}}})?" if places > 1 else r"(?:\.[0-9])?"
    options = ["" if set(low) <= {"0"} else None]
    for length in range(1, places + 1):
        first = int(low[:length]) + (0 if set(low[length:]) <= {"0"} else 1)
        last = int(high[:length])
        if first <= last:
            options.append(r"\." + _group(_same_length(str(first).zfill(length), str(last).zfill(length))))
    written = [o for o in options if o]
    if not written:
        return ""
    body = "|".join(written)
    return f"(?:{body})?" if options[0] == "" else _group(body)


def _magnitudes(lo: Decimal, hi: Decimal, places: int) -> str:
    """Non-negative decimals from lo to hi with at most `places` decimal places."""
    scale = Decimal(10) ** places
    lo_units, hi_units = int(lo * scale), int(hi * scale)
    lo_whole, lo_frac = divmod(lo_units, int(scale))
    hi_whole, hi_frac = divmod(hi_units, int(scale))
    digits = (lambda n: str(n).zfill(places)) if places else (lambda n: "")
    if lo_whole == hi_whole:
        return _group(integers(lo_whole, lo_whole)) + _fractions(digits(lo_frac), digits(hi_frac), places)
    # Whole numbers whose every fraction is in range share one alternative: the ends join it when they can.
    first = lo_whole if lo_frac == 0 else lo_whole + 1
    last = hi_whole if hi_frac == int(scale) - 1 else hi_whole - 1
    parts = [] if first == lo_whole else [str(lo_whole) + _fractions(digits(lo_frac), None, places)]
    if first <= last:
        parts.append(_group(integers(first, last)) + _fractions(None, None, places))
    if last != hi_whole:
        parts.append(str(hi_whole) + _fractions(None, digits(hi_frac), places))
    return "|".join(parts)


def decimal_pattern(lo: Decimal, hi: Decimal, places: int) -> str:
    """Decimals written with at most `places` decimal places, from lo to hi."""
    parts = []
    if hi >= 0:
        parts.append(_magnitudes(max(lo, Decimal(0)), hi, places))
    if lo < 0:
        parts.append("-" + _group(_magnitudes(max(-hi, Decimal(0)), -lo, places)))
    return f"^(?:{'|'.join(parts)})$"
