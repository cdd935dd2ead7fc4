"""Pricing's beat jobs: the dynamic price of each 15-minute interval, and the grid signal feed.

Until issue 15 they were charging's (`charging.tasks.price_intervals_record`, `charging.tasks.grid_signals_fetch`).
A message queued under an old name, or a beat entry stored with one that the data migration has not renamed yet,
still runs: each old name is registered below and runs the job under its new name."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from pricing import selectors, services
from pricing.gridsignals import FeedError, NoFeed, configured_feed
from pricing.models import LoadPricing


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def price_intervals_record() -> int:
    """Beat job, every few minutes: set the dynamic price of the current 15-minute interval at every site
    with load-based pricing, from the load measured in the interval before (once per interval)."""
    start = selectors.interval_start(timezone.now())
    recorded = 0
    for policy in LoadPricing.objects.filter(is_active=True).select_related("site"):
        if services.price_interval_record(site=policy.site, starts_at=start, policy=policy) is not None:
            recorded += 1
    return recorded


@shared_task(autoretry_for=(FeedError,), retry_backoff=True, max_retries=3)
def grid_signals_fetch() -> int:
    """Beat job, every 15 minutes: read the grid signal feed (if one is configured) for the next 24 hours
    of every site with load-based pricing."""
    feed = configured_feed()
    if isinstance(feed, NoFeed):
        return 0
    start = selectors.interval_start(timezone.now())
    stored = 0
    for policy in LoadPricing.objects.filter(is_active=True).select_related("site"):
        stored += services.grid_signals_fetch(site=policy.site, start=start, end=start + timedelta(hours=24), feed=feed)
    return stored


# --- the names these jobs had in charging, kept for messages already queued under them ----------------------------


@shared_task(
    name="charging.tasks.price_intervals_record", autoretry_for=(Exception,), retry_backoff=True, max_retries=3
)
def price_intervals_record_by_old_name() -> int:
    """charging.tasks.price_intervals_record, as it was called before issue 15: runs price_intervals_record."""
    return price_intervals_record()


@shared_task(name="charging.tasks.grid_signals_fetch", autoretry_for=(FeedError,), retry_backoff=True, max_retries=3)
def grid_signals_fetch_by_old_name() -> int:
    """charging.tasks.grid_signals_fetch, as it was called before issue 15: runs grid_signals_fetch."""
    return grid_signals_fetch()
