"""Reading the weather and traffic the feeds stored: a site's weather at a moment (falling back to its climate
normals), each feed's status and whether it is stale, and the page's per-site overview in a constant number of
queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.scoping import scoped
from simulation import climate
from simulation.models import FeedStatus, TrafficReading, WeatherHour
from stations.models import Site

# how often the beat schedule reads each feed (evfleet/settings.py, CELERY_BEAT_SCHEDULE)
FEED_PERIODS = {FeedStatus.Feed.WEATHER: timedelta(hours=1), FeedStatus.Feed.TRAFFIC: timedelta(minutes=15)}
STALE_AFTER_PERIODS = 2


class WeatherAt(NamedTuple):
    """The weather at a site at a moment. `age` is how old the stored data is (None for the normals)."""

    temperature_c: float
    precipitation_mm: float
    wind_speed_ms: float
    source: str
    age: timedelta | None


def _hour(when: datetime) -> datetime:
    if timezone.is_naive(when):
        raise ValueError("when must be an aware datetime (UTC or with its offset)")
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def normals_at(site: Site, when: datetime) -> WeatherAt:
    """The site's climate-normal temperature at `when` (local month, day and hour); no rain and no wind."""
    normals = climate.normals_for(site.latitude, site.longitude)
    local = when.astimezone(ZoneInfo(site.time_zone))
    temperature = float(climate.temperature_c(normals, local.month, local.hour + local.minute / 60, local.day))
    return WeatherAt(round(temperature, 1), 0.0, 0.0, "normals", None)


def _from_row(row: WeatherHour, now: datetime) -> WeatherAt:
    return WeatherAt(row.temperature_c, row.precipitation_mm, row.wind_speed_ms, row.source, now - row.fetched_at)


def weather_at(site: Site, when: datetime, *, now: datetime | None = None) -> WeatherAt:
    """The stored weather of the hour holding `when` at the site, else its climate normals (source "normals").
    One query."""
    row = WeatherHour.objects.filter(site=site, hour=_hour(when)).first()
    if row is None:
        return normals_at(site, when)
    return _from_row(row, now or timezone.now())


@dataclass(frozen=True)
class FeedHealth:
    """A feed's status as the page shows it."""

    feed: str
    label: str
    source: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    age: timedelta | None  # since the last success
    error: str
    warning: str  # what the offline default assumes
    stale: bool
    problem: str  # why it needs attention, in words; "" when fine


def feed_health(now: datetime | None = None, statuses: list[FeedStatus] | None = None) -> list[FeedHealth]:
    """Each feed's health: stale when its last success is older than two periods, or its last attempt failed.
    One query."""
    now = now or timezone.now()
    by_feed = {s.feed: s for s in (statuses if statuses is not None else FeedStatus.objects.all())}
    health = []
    for feed, label in FeedStatus.Feed.choices:
        status = by_feed.get(feed)
        limit = FEED_PERIODS[feed] * STALE_AFTER_PERIODS
        if status is None:
            health.append(FeedHealth(feed, label, "", None, None, None, "", "", True, "Never fetched yet."))
            continue
        age = now - status.last_success_at if status.last_success_at else None
        problems = []
        if status.last_error:
            problems.append(f"The last attempt failed: {status.last_error}")
        if age is None:
            problems.append("No successful fetch yet.")
        elif age > limit:
            problems.append(f"The data is older than {STALE_AFTER_PERIODS} fetch periods.")
        health.append(
            FeedHealth(
                feed,
                label,
                status.source,
                status.last_attempt_at,
                status.last_success_at,
                age,
                status.last_error,
                status.warning,
                bool(problems),
                " ".join(problems),
            )
        )
    return health


@dataclass(frozen=True)
class SiteConditions:
    """What the feeds say now at one site."""

    site: Site
    weather: WeatherAt
    traffic: TrafficReading | None
    traffic_age: timedelta | None


def site_list(*, user: User) -> QuerySet[Site]:
    return scoped(Site.objects.select_related("department"), user).order_by("name", "pk")


def site_conditions(*, user: User, now: datetime | None = None) -> list[SiteConditions]:
    """The current hour's weather and the latest traffic reading at each site the user sees. Three queries,
    whatever the number of sites."""
    now = now or timezone.now()
    hour = _hour(now)
    latest_traffic = TrafficReading.objects.filter(site=OuterRef("pk")).order_by("-observed_at").values("pk")[:1]
    sites = list(
        site_list(user=user)
        .annotate(latest_traffic_id=Subquery(latest_traffic))
        .prefetch_related(
            Prefetch("weather_hours", queryset=WeatherHour.objects.filter(hour=hour), to_attr="weather_now")
        )
    )
    readings = TrafficReading.objects.in_bulk([s.latest_traffic_id for s in sites if s.latest_traffic_id])
    rows = []
    for site in sites:
        weather = _from_row(site.weather_now[0], now) if site.weather_now else normals_at(site, now)
        reading = readings.get(site.latest_traffic_id)
        rows.append(SiteConditions(site, weather, reading, now - reading.observed_at if reading else None))
    return rows


def weather_list(*, user: User) -> QuerySet[WeatherHour]:
    """Stored weather hours of the sites the user sees, for the API."""
    return scoped(WeatherHour.objects.select_related("site"), user)


def traffic_list(*, user: User) -> QuerySet[TrafficReading]:
    """Stored traffic readings of the sites the user sees, for the API."""
    return scoped(TrafficReading.objects.select_related("site"), user)
