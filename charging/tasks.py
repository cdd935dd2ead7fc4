from celery import shared_task
from django.db import OperationalError

from charging import services
from evfleet.jobs import enqueue


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def session_price(self, *, session_id: int) -> str | None:
    """Price a finished session (enqueued when its transaction stops). One that cannot be priced says why, on its
    page and in the API: at once when its figures give no price (retrying would not change them), else when the
    last retry failed."""
    try:
        session = services.session_price(session_id=session_id)
    except ArithmeticError as exc:  # decimal.InvalidOperation, OverflowError: a cost out of any range
        services.session_price_failed(
            session_id=session_id,
            reason=f"its meter figures give no cost that can be computed and stored ({type(exc).__name__}); "
            "correct the session's meter figures, then price it again.",
        )
        return None
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            services.session_price_failed(
                session_id=session_id, reason=f"pricing failed {self.max_retries + 1} times: {exc!r}"[:500]
            )
        raise
    return None if session is None or session.cost_total is None else f"{session.cost_total} {session.currency}"


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=2)
def reservations_tick() -> dict:
    """Beat job, every minute: ReserveNow as reservations start, no-shows released, the queue served; remote
    starts that never began fail."""
    counts = services.reservations_tick()
    counts["pending_expired"] = services.pending_sessions_expire()
    return counts


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def smart_charging_plan(*, site_id: int, trigger: str) -> int | None:
    """Re-plan a site with smart charging after an event, and send the stations their profiles."""
    from charging.services import smart
    from stations.models import Site

    site = Site.objects.select_related("carbon_zone").filter(pk=site_id, smart_charging=True).first()
    if site is None:
        return None
    plan = smart.plan_site(site=site, trigger=trigger)
    enqueue("charging.tasks.readiness_alerts", site_id=site.pk)  # the new plan may put a departure at risk
    return plan.pk


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=2)
def readiness_alerts(*, site_id: int | None = None) -> int:
    """Every 5 minutes, and after a site's re-plan: tell of the vehicles at risk or not plugged in for a trip
    leaving within READINESS_ALERT_HOURS (once per trip, status and reason)."""
    from charging.services import readiness

    return readiness.readiness_alerts(site_ids=[site_id] if site_id is not None else None)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def smart_charging_prune() -> int:
    """Daily: delete the plans older than the retention period (each site's current plan stays) and the
    what-ifs older than a day."""
    from charging.services import smart

    return smart.prune_plans()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=2)
def smart_charging_tick() -> dict:
    """Every 5 minutes: re-plan the smart-charging sites whose horizon moved on, whose limits or prices changed,
    or whose sessions draw power off the plan."""
    from charging.services import smart

    return smart.smart_charging_tick()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def reservation_queue_serve(*, connector_ids: list[int]) -> int:
    """Connectors that may have freed up (a session ended, a fault cleared, maintenance over): offer them to the
    reservation queue. The minute job does the same for every site, should this be lost."""
    return len(services.queue_serve(connector_ids=connector_ids))
