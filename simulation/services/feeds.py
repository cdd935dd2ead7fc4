"""Reading the weather and traffic feeds into the database: the adapter the settings choose, every site, the
last good data kept when a feed fails, and each feed's status (source, last attempt, last success, error)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from simulation.feeds import (
    FeedError,
    NormalsWeather,
    OpenMeteoWeather,
    TomTomTraffic,
    TrafficFeed,
    TypicalTraffic,
    WeatherFeed,
)
from simulation.feeds.base import host_of
from simulation.models import FeedStatus, TrafficReading, WeatherHour
from stations.models import Site

__all__ = [
    "FetchResult",
    "configured_traffic_feed",
    "configured_weather_feed",
    "traffic_fetch",
    "weather_fetch",
]

TRAFFIC_RETENTION = timedelta(days=30)  # older readings are deleted by each traffic run (96 a day per site)
WEATHER_HOURS = 24  # the hours from now each fetch must cover (the forecast may give more; all are stored)
ERROR_MAX_CHARS = 2000
WEATHER_FIELDS = ["temperature_c", "precipitation_mm", "snowfall_cm", "wind_speed_ms", "wind_direction_deg"]


@dataclass
class FetchResult:
    """What one run of a feed did: rows stored, and the sites whose data could not be read (with why)."""

    stored: int = 0
    errors: list[str] = field(default_factory=list)


def configured_weather_feed() -> WeatherFeed:
    if settings.WEATHER_URL:
        return OpenMeteoWeather(settings.WEATHER_URL, settings.WEATHER_TIMEOUT_S)
    return NormalsWeather()


def configured_traffic_feed() -> TrafficFeed:
    if settings.TRAFFIC_URL:
        return TomTomTraffic(settings.TRAFFIC_URL, settings.TRAFFIC_KEY, settings.TRAFFIC_TIMEOUT_S)
    return TypicalTraffic()


def source_label(feed) -> str:
    """What the page shows as a feed's source: the offline default, or the host it reads (never the key)."""
    url = getattr(feed, "url", "")
    return host_of(url) if url else f"{feed.source} (offline default)"


def _sites():
    return Site.objects.only("id", "name", "latitude", "longitude", "time_zone").order_by("pk")


def _record(feed_name: str, feed, now: datetime, result: FetchResult, warning: str) -> None:
    values = {"source": source_label(feed)[:200], "last_attempt_at": now, "warning": warning}
    values["last_error"] = "; ".join(result.errors)[:ERROR_MAX_CHARS]
    if not result.errors:
        values["last_success_at"] = now
    FeedStatus.objects.update_or_create(feed=feed_name, defaults=values)


def _normals_warning() -> str:
    """The same words for every organisation: the places of the sites (other departments' too) stay out of it."""
    return (
        "Offline default: temperatures from the 1991–2020 climate normals of the reference place nearest each site, "
        "with a daily cycle; no rain, snow or wind."
    )


def weather_fetch(*, feed: WeatherFeed | None = None, now: datetime | None = None) -> FetchResult:
    """Read the weather for the next `WEATHER_HOURS` hours at every site and store it (an hour already stored is
    replaced). A site whose feed answer is unusable keeps its stored hours; its error goes to the feed's status."""
    feed = feed or configured_weather_feed()
    now = now or timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0)
    result = FetchResult()
    sites = list(_sites())
    for site in sites:
        try:
            points = feed.fetch(
                latitude=site.latitude, longitude=site.longitude, time_zone=site.time_zone, start=start,
                hours=WEATHER_HOURS,
            )  # fmt: skip
        except FeedError as exc:
            result.errors.append(f"{site.name}: {exc}")
            continue
        rows = [
            WeatherHour(
                site=site,
                hour=p.hour,
                temperature_c=p.temperature_c,
                precipitation_mm=p.precipitation_mm,
                snowfall_cm=p.snowfall_cm,
                wind_speed_ms=p.wind_speed_ms,
                wind_direction_deg=p.wind_direction_deg,
                source=feed.source,
                fetched_at=now,
            )
            for p in points
        ]
        with transaction.atomic():
            WeatherHour.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["site", "hour"],
                update_fields=[*WEATHER_FIELDS, "source", "fetched_at"],
            )
        result.stored += len(rows)
    warning = _normals_warning() if isinstance(feed, NormalsWeather) else ""
    _record(FeedStatus.Feed.WEATHER, feed, now, result, warning)
    return result


def traffic_fetch(*, feed: TrafficFeed | None = None, now: datetime | None = None) -> FetchResult:
    """Read the traffic near every site now and store it; readings older than `TRAFFIC_RETENTION` go. A site
    whose reading is unusable keeps its earlier readings; its error goes to the feed's status."""
    feed = feed or configured_traffic_feed()
    now = now or timezone.now()
    result = FetchResult()
    rows = []
    for site in _sites():
        try:
            point = feed.fetch(latitude=site.latitude, longitude=site.longitude, time_zone=site.time_zone, at=now)
        except FeedError as exc:
            result.errors.append(f"{site.name}: {exc}")
            continue
        rows.append(
            TrafficReading(
                site=site,
                latitude=site.latitude,
                longitude=site.longitude,
                road_class=point.road_class.value,
                frc=point.frc,
                current_speed_kmh=point.current_speed_kmh,
                free_flow_speed_kmh=point.free_flow_speed_kmh,
                confidence=point.confidence,
                road_closure=point.road_closure,
                observed_at=point.observed_at,
                source=feed.source,
            )
        )
    with transaction.atomic():
        TrafficReading.objects.bulk_create(rows, ignore_conflicts=True)
        TrafficReading.objects.filter(observed_at__lt=now - TRAFFIC_RETENTION).delete()
    result.stored = len(rows)
    warning = (
        f"Offline default: typical speed profiles for {feed.road_class.value} roads; no live traffic."
        if isinstance(feed, TypicalTraffic)
        else ""
    )
    _record(FeedStatus.Feed.TRAFFIC, feed, now, result, warning)
    return result
