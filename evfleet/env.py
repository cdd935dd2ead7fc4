"""The one place that reads the environment; every bad value fails loudly at start-up."""

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is above the maximum of {maximum}.")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, *, schemes: tuple[str, ...]) -> str:
    """Return the URL in `name` (or "" when unset) after checking its scheme."""
    raw = env_str(name)
    if not raw:
        return ""
    scheme = urlparse(raw).scheme
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(f"{name} must start with one of {allowed} (got {scheme or 'no scheme'}://).")
    return raw


def env_tile_url(name: str) -> tuple[str, str]:
    """A map tile server's URL template from `name` ("" when unset) and the Content-Security-Policy source that lets
    pages load its images: `https://{s}.tile.example.org/{z}/{x}/{y}.png` gives `https://*.tile.example.org`."""
    raw = env_url(name, schemes=("https", "http"))
    if not raw:
        return "", ""
    missing = [p for p in ("{z}", "{x}", "{y}") if p not in raw]
    if missing:
        raise ImproperlyConfigured(
            f"{name}={raw!r} lacks {', '.join(missing)}: give the tile URL template, e.g. "
            "https://tile.example.org/{z}/{x}/{y}.png"
        )
    parts = urlparse(raw)
    host = parts.netloc.removeprefix("{s}.")
    if not host or "{" in host or "}" in host or "@" in host:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: the host may only start with a {{s}}. subdomain placeholder and carry no user name."
        )
    wildcard = "*." if parts.netloc.startswith("{s}.") else ""
    return raw, f"{parts.scheme}://{wildcard}{host}"
