"""The route plans' Celery task: solve a plan (thin; the work is routing.services.plans). Registered from
RoutingConfig.ready(): Celery's autodiscovery finds `tasks` modules only."""

import logging

from celery import shared_task
from django.db import OperationalError

from routing.services import plans

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def plan_solve(*, plan_id: int) -> str:
    """Solve the plan and store its routes (or why it failed); returns the plan's status."""
    try:
        plan = plans.plan_solve_run(plan_id=plan_id)
    except OperationalError:
        raise
    except Exception as e:  # noqa: BLE001 - any other error is the plan's answer, not a silent "solving" for ever
        logger.exception("route plan %s: the solve failed", plan_id)
        plans.plan_solve_failed(plan_id=plan_id, error=f"{type(e).__name__}: {e}")
        return "failed"
    return plan.status if plan is not None else "missing"
