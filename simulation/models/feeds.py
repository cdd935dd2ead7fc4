"""What the weather and traffic feeds said, per site, and how each feed is doing."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from simulation.traffic import RoadClass
from stations.models import Site


class WeatherHour(models.Model):
    """One hour of weather at a site, as the weather feed (or the climate normals) gave it."""

    site = models.ForeignKey(Site, verbose_name="site", on_delete=models.CASCADE, related_name="weather_hours")
    hour = models.DateTimeField("hour (UTC)", help_text="Start of the hour, UTC.")
    temperature_c = models.FloatField(
        "temperature (°C)",
        validators=[MinValueValidator(-40.0), MaxValueValidator(60.0)],
        help_text="Air temperature 2 m above ground, °C.",
    )
    precipitation_mm = models.FloatField(
        "precipitation (mm)", validators=[MinValueValidator(0.0)], help_text="Rain and snow water over the hour, mm."
    )
    snowfall_cm = models.FloatField(
        "snowfall (cm)", validators=[MinValueValidator(0.0)], help_text="Fresh snow over the hour, cm."
    )
    wind_speed_ms = models.FloatField(
        "wind speed (m/s)", validators=[MinValueValidator(0.0)], help_text="Wind 10 m above ground, m/s."
    )
    wind_direction_deg = models.FloatField(
        "wind direction (°)",
        validators=[MinValueValidator(0.0), MaxValueValidator(360.0)],
        help_text="Where the wind comes from, degrees clockwise from north.",
    )
    source = models.CharField("source", max_length=40, help_text="Which feed gave it: open-meteo, or normals.")
    fetched_at = models.DateTimeField("fetched at", help_text="When the feed was read.")

    scope_field = "site__department"

    class Meta:
        verbose_name = "weather hour"
        ordering = ["site", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["site", "hour"], name="weather_hour_unique_site_hour"),
            models.CheckConstraint(
                condition=Q(precipitation_mm__gte=0) & Q(snowfall_cm__gte=0) & Q(wind_speed_ms__gte=0),
                name="weather_hour_amounts_not_negative",
            ),
        ]
        # the unique constraint's index serves weather_at (one site, one hour) and the page (sites, one hour)

    def __str__(self) -> str:
        return f"{self.site} {self.hour:%Y-%m-%d %H:00}Z"


class TrafficReading(models.Model):
    """The traffic on the road nearest a site at one moment: its speed against free flow."""

    site = models.ForeignKey(Site, verbose_name="site", on_delete=models.CASCADE, related_name="traffic_readings")
    latitude = models.FloatField("latitude (°)", validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)])
    longitude = models.FloatField("longitude (°)", validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)])
    road_class = models.CharField("road class", max_length=20, choices=[(c.value, c.name.title()) for c in RoadClass])
    frc = models.CharField(
        "functional road class", max_length=8, blank=True, help_text="As the feed names it (TomTom FRC0–FRC6)."
    )
    current_speed_kmh = models.FloatField(
        "current speed (km/h)", validators=[MinValueValidator(0.0)], help_text="Average speed now, km/h."
    )
    free_flow_speed_kmh = models.FloatField(
        "free-flow speed (km/h)", validators=[MinValueValidator(0.0)], help_text="Speed without traffic, km/h."
    )
    confidence = models.FloatField(
        "confidence",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="The feed's confidence in the reading, 0–1; empty for typical profiles.",
    )
    road_closure = models.BooleanField("road closed", default=False)
    observed_at = models.DateTimeField("observed at")
    source = models.CharField("source", max_length=40, help_text="Which feed gave it: tomtom, or typical.")

    scope_field = "site__department"

    class Meta:
        verbose_name = "traffic reading"
        ordering = ["site", "-observed_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "observed_at"], name="traffic_reading_unique_site_time"),
            models.CheckConstraint(
                condition=Q(current_speed_kmh__gte=0) & Q(free_flow_speed_kmh__gt=0),
                name="traffic_reading_speeds_valid",
            ),
        ]
        # the unique constraint's index serves "the latest reading of each site" (site, observed_at desc)

    def __str__(self) -> str:
        return f"{self.site} {self.observed_at:%Y-%m-%d %H:%M}"


class FeedStatus(models.Model):
    """How one feed is doing: where it reads from, when it last tried and last succeeded, and its last error."""

    class Feed(models.TextChoices):
        WEATHER = "weather", "Weather"
        TRAFFIC = "traffic", "Traffic"

    feed = models.CharField("feed", max_length=20, choices=Feed.choices, unique=True)
    source = models.CharField("source", max_length=200, help_text="The offline default, or the feed's host.")
    last_attempt_at = models.DateTimeField("last attempt", null=True, blank=True)
    last_success_at = models.DateTimeField("last success", null=True, blank=True)
    last_error = models.TextField("last error", blank=True, help_text="Empty when the last attempt succeeded.")
    warning = models.TextField("warning", blank=True, help_text="What the feed left out or assumed, if anything.")

    class Meta:
        verbose_name = "feed status"
        verbose_name_plural = "feed statuses"
        ordering = ["feed"]

    def __str__(self) -> str:
        return self.get_feed_display()
