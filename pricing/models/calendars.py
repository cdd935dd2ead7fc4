"""Holiday calendars: public holidays of a country or region and an operator's own days, priced as a chosen weekday."""

from datetime import date

import holidays as holiday_data
from django.core.exceptions import ValidationError
from django.db import models

from evfleet.models import TimeStampedModel


def validate_country(value: str) -> None:
    if value and value not in holiday_data.list_supported_countries():
        raise ValidationError(f"No holiday data for {value!r}; use an ISO 3166 country code such as DE, FR, US.")


validate_country.openapi_component = "Country"
validate_country.openapi_schema = lambda: {
    "type": "string",
    "enum": sorted(code for code in holiday_data.list_supported_countries() if len(code) == 2),
    "description": "An ISO 3166 country code with holiday data, e.g. DE.",
}
validate_country.openapi_invalid = "XX"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class HolidayCalendar(TimeStampedModel):
    """Public holidays of a country or region, plus the operator's own days; tariffs price them as a Sunday."""

    name = models.CharField("name", max_length=80, unique=True)
    country = models.CharField(
        "country", max_length=2, blank=True, validators=[validate_country], help_text="ISO 3166 code, e.g. DE."
    )
    subdivision = models.CharField(
        "region", max_length=10, blank=True, help_text="The region's code within the country, e.g. BY for Bavaria."
    )
    priced_as = models.PositiveSmallIntegerField(
        "priced as", choices=Weekday.choices, default=Weekday.SUNDAY, help_text="Which day's prices a holiday gets."
    )

    class Meta:
        db_table = "charging_holidaycalendar"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.country and self.subdivision:
            try:
                holiday_data.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError:
                raise ValidationError({"subdivision": f"{self.country} has no region {self.subdivision!r}."}) from None

    def dates(self, years: list[int], extra: list[date] | None = None) -> frozenset[date]:
        found = set(extra or [])
        if self.country:
            found.update(holiday_data.country_holidays(self.country, subdiv=self.subdivision or None, years=years))
        return frozenset(found)


class Holiday(models.Model):
    """A day an operator prices as a holiday in one calendar (besides the public ones)."""

    calendar = models.ForeignKey(HolidayCalendar, on_delete=models.CASCADE, related_name="extra_days")
    date = models.DateField("date")
    name = models.CharField("name", max_length=80)

    class Meta:
        db_table = "charging_holiday"
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
