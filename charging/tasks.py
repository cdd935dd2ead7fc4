from celery import shared_task
from django.utils import timezone

from charging import selectors, services
from charging.models import LoadPricing


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def session_price(*, session_id: int) -> str | None:
    """Price a finished session (enqueued when its transaction stops)."""
    session = services.session_price(session_id=session_id)
    return None if session is None or session.cost_total is None else f"{session.cost_total} {session.currency}"


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
