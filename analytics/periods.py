"""Report periods: relative ones ("last 30 days", "last month") resolved against a local today, or custom dates,
checked for order and length."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

RELATIVE = {
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "month_to_date": "This month so far",
    "last_month": "Last month",
    "year_to_date": "This year so far",
    "last_12_months": "Last 12 months",
    "custom": "Custom dates",
}
COMPARISONS = {
    "previous": "The period just before (same length)",
    "year_before": "The same dates a year earlier",
}


@dataclass(frozen=True)
class Period:
    """Local days first..last, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before; for whole months, the month(s) before."""
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
            first = _add_months(self.first, -months)
            return Period(first, self.first - timedelta(days=1))
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def year_before(self) -> "Period":
        return Period(_add_years(self.first, -1), _add_years(self.last, -1))

    def compared(self, how: str) -> "Period":
        return self.previous() if how == "previous" else self.year_before()

    def __str__(self) -> str:
        return f"{self.first:%d %b %Y} – {self.last:%d %b %Y}"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def resolve(period: str, today: date, start: date | None = None, end: date | None = None) -> Period:
    """The local days a period covers; raises ValidationError naming the field at fault."""
    if period not in RELATIVE:
        raise ValidationError(
            {"period": f"Unknown period {period!r}: choose one of {', '.join(RELATIVE)}."}, code="unknown_period"
        )
    if period == "custom":
        errors = {}
        if start is None:
            errors["start"] = "Give the first day of the period (YYYY-MM-DD)."
        if end is None:
            errors["end"] = "Give the last day of the period (YYYY-MM-DD)."
        if errors:
            raise ValidationError(errors, code="required")
        return check(Period(start, end))
    yesterday = today - timedelta(days=1)
    match period:
        case "last_7_days" | "last_30_days" | "last_90_days":
            days = int(period.split("_")[1])
            return Period(today - timedelta(days=days), yesterday)
        case "month_to_date":
            return Period(today.replace(day=1), today)
        case "last_month":
            first = _add_months(today.replace(day=1), -1)
            return Period(first, today.replace(day=1) - timedelta(days=1))
        case "year_to_date":
            return Period(today.replace(month=1, day=1), today)
        case _:  # last_12_months: the 12 whole months before this one
            first_of_month = today.replace(day=1)
            return Period(_add_months(first_of_month, -12), first_of_month - timedelta(days=1))


def check(period: Period) -> Period:
    if period.last < period.first:
        raise ValidationError(
            {"end": f"The period ends ({period.last}) before it starts ({period.first}): give an end on or after "
             "the start."},
            code="end_before_start",
        )  # fmt: skip
    limit = settings.ANALYTICS_MAX_PERIOD_DAYS
    if period.days > limit:
        raise ValidationError(
            {"end": f"The period spans {period.days} days; the most is {limit} (EVFLEET_ANALYTICS_MAX_PERIOD_DAYS). "
             "Choose a shorter period."},
            code="period_too_long",
        )  # fmt: skip
    return period
