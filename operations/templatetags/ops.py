"""Times of the fleet's work as the depot's clock shows them: `{% load ops %}`.

{{ trip.departs_at|at_depot:trip.depot }}        2026-06-10 06:30 CEST
{{ trip|trip_window }}                           2026-06-10 06:30–15:00 CEST
{{ "mon,tue"|weekdays }}                         Mon, Tue
"""

from django import template

from evfleet import formatting
from operations.forms import WEEKDAY_LABELS

register = template.Library()


@register.filter
def at_depot(moment, depot, fmt="%Y-%m-%d %H:%M"):
    """An instant on the depot's clock, with the zone's abbreviation."""
    return formatting.local(moment, depot.time_zone if depot is not None else None, fmt)


@register.filter
def trip_window(trip):
    """Departure to expected return on the depot's clock."""
    return formatting.span(trip.departs_at, trip.returns_at, trip.depot.time_zone)


@register.filter
def weekdays(value):
    days = [d.strip().lower() for d in (value or "").split(",") if d.strip()]
    if days == ["mon", "tue", "wed", "thu", "fri"]:
        return "Mon–Fri"
    if len(days) == 7:
        return "Every day"
    return ", ".join(WEEKDAY_LABELS.get(d, d) for d in days)


@register.filter
def clock(value):
    """A local time of day, "06:30"."""
    return value.strftime("%H:%M") if value is not None else formatting.EMPTY


@register.filter
def short_at_depot(moment, depot):
    """ "Wed 10 Jun 06:30 CEST" on the depot's clock."""
    return at_depot(moment, depot, "%a %d %b %H:%M")


@register.filter
def back_at(trip):
    """The expected return on the depot's clock, the day named only when it is another day than the departure's:
    "back 15:00 EST", "back Thu 04 Dec 01:30 EST"."""
    zone = trip.depot.time_zone
    same_day = formatting.local(trip.departs_at, zone, "%Y-%m-%d", with_zone=False) == formatting.local(
        trip.returns_at, zone, "%Y-%m-%d", with_zone=False
    )
    return "back " + formatting.local(trip.returns_at, zone, "%H:%M" if same_day else "%a %d %b %H:%M")
