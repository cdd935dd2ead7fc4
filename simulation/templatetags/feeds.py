"""`{% load feeds %}`: how old a feed's data is, in words a person reads at a glance."""

from datetime import timedelta

from django import template

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
