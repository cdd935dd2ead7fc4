"""Where grid prices and load figures come from: an adapter per source, with an offline default.

`JsonFeed` reads a grid operator's (or an aggregator's) feed over HTTP:

    GET <EVFLEET_GRID_SIGNAL_URL>?site=<id>&latitude=<°>&longitude=<°>&start=<ISO UTC>&end=<ISO UTC>
    200 {"source": "tso-day-ahead",
         "intervals": [{"starts_at": "2026-06-10T04:00:00Z", "ends_at": "2026-06-10T04:15:00Z",
                        "price_per_kwh": "0.182", "load_percent": "64.5"}, ...]}

`price_per_kwh` and `load_percent` are each optional (at least one per interval). With no URL configured,
`NoFeed` answers nothing, and signals arrive only through `POST /api/v1/grid-signals/`.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings


class FeedError(Exception):
    """The feed could not be read or said something we cannot use; nothing of it is stored."""


@dataclass(frozen=True)
class Signal:
    starts_at: datetime
    ends_at: datetime
    price_per_kwh: Decimal | None
    load_percent: Decimal | None


class NoFeed:
    source = ""

    def fetch(self, *, site, start: datetime, end: datetime) -> tuple[str, list[Signal]]:
        return "", []


class JsonFeed:
    def __init__(self, url: str, timeout_s: float):
        self.url, self.timeout_s = url, timeout_s

    def fetch(self, *, site, start: datetime, end: datetime) -> tuple[str, list[Signal]]:
        query = urllib.parse.urlencode(
            {
                "site": site.pk,
                "latitude": site.latitude,
                "longitude": site.longitude,
                "start": start.isoformat().replace("+00:00", "Z"),
                "end": end.isoformat().replace("+00:00", "Z"),
            }
        )
        separator = "&" if "?" in self.url else "?"
        try:
            with urllib.request.urlopen(f"{self.url}{separator}{query}", timeout=self.timeout_s) as response:  # noqa: S310
                body = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError, json.JSONDecodeError) as exc:
            raise FeedError(f"grid signal feed {self.url}: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("intervals"), list):
            raise FeedError("grid signal feed: expected an object with an 'intervals' list")
        source = str(body.get("source") or "feed")[:60]
        return source, [self._signal(i, item) for i, item in enumerate(body["intervals"])]

    @staticmethod
    def _signal(index: int, item) -> Signal:
        try:
            starts = datetime.fromisoformat(item["starts_at"].replace("Z", "+00:00"))
            ends = datetime.fromisoformat(item["ends_at"].replace("Z", "+00:00"))
            price = item.get("price_per_kwh")
            load = item.get("load_percent")
            signal = Signal(
                starts,
                ends,
                Decimal(str(price)) if price is not None else None,
                Decimal(str(load)) if load is not None else None,
            )
        except (KeyError, TypeError, AttributeError, ValueError, InvalidOperation) as exc:
            raise FeedError(f"grid signal feed: interval {index} is unreadable ({exc!r})") from exc
        if starts.tzinfo is None or ends <= starts:
            raise FeedError(f"grid signal feed: interval {index} needs UTC times with ends_at after starts_at")
        if signal.price_per_kwh is None and signal.load_percent is None:
            raise FeedError(f"grid signal feed: interval {index} has neither price_per_kwh nor load_percent")
        if signal.load_percent is not None and not 0 <= signal.load_percent <= 200:
            raise FeedError(f"grid signal feed: interval {index} load_percent is outside 0-200")
        return signal


def configured_feed():
    if settings.GRID_SIGNAL_URL:
        return JsonFeed(settings.GRID_SIGNAL_URL, settings.GRID_SIGNAL_TIMEOUT_S)
    return NoFeed()
