"""`{% load feeds %}`: how old a feed's data is, in words a person reads at a glance, and speeds in the
department's unit (km/h, or mph where it counts in miles)."""

from datetime import timedelta

from django import template

from evfleet import formatting

register = template.Library()


@register.filter
def age(value: timedelta | None) -> str:
    """A duration as "45 s", "12 min", "3 h 5 min" or "2 d 4 h"; "—" for none."""
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def speed(kmh, decimals=0) -> str:
    """A speed in km/h as "34 km/h", or "21 mph" where the department counts in miles; "—" for none."""
    if kmh is None:
        return "—"
    unit = formatting.current_distance_unit()
    return (
        f"{formatting.number(formatting.km_to(kmh, unit), int(decimals))} {'mph' if unit == formatting.MI else 'km/h'}"
    )


@register.filter
def wind(ms, decimals=1) -> str:
    """A wind speed in m/s as "3.2 m/s", or in mph where the department counts in miles; "—" for none."""
    if ms is None:
        return "—"
    if formatting.current_distance_unit() == formatting.MI:
        return speed(float(ms) * 3.6, decimals)
    return f"{formatting.number(ms, int(decimals))} m/s"
