"""The route plans' Celery task: solve a plan (thin; the work is routing.services.plans). Registered from
RoutingConfig.ready(): Celery's autodiscovery finds `tasks` modules only.

The solve is queued with a soft and a hard time limit of the plan's time limit plus a margin
(``plans.solve_limits``); the soft one fails the plan saying so. Whatever else ends the task without an answer
(retries spent on a locked database) fails the plan in ``on_failure``; a plan whose task was lost altogether (a
killed worker) may be solved again once its limits have passed (``plans.solve_stale``)."""

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from routing.services import plans

logger = logging.getLogger(__name__)


class PlanSolveTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Retries spent or an error outside the body's own handling: the plan says so instead of "solving"."""
        plan_id = (kwargs or {}).get("plan_id")
        if plan_id is None:
            return
        try:
            plans.plan_solve_failed(plan_id=plan_id, error=f"{type(exc).__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the database may be what failed; the plan turns stale and may be re-solved
            logger.exception("route plan %s: could not mark the failed solve", plan_id)


@shared_task(base=PlanSolveTask, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def plan_solve(*, plan_id: int) -> str:
    """Solve the plan and store its routes (or why it failed); returns the plan's status."""
    try:
        plan = plans.plan_solve_run(plan_id=plan_id)
    except OperationalError:
        raise
    except SoftTimeLimitExceeded:
        logger.warning("route plan %s: the solve ran out of time", plan_id)
        plans.plan_solve_timed_out(plan_id=plan_id)
        return "failed"
    except Exception as e:  # noqa: BLE001 - any other error is the plan's answer, not a silent "solving" for ever
        logger.exception("route plan %s: the solve failed", plan_id)
        plans.plan_solve_failed(plan_id=plan_id, error=f"{type(e).__name__}: {e}")
        return "failed"
    return plan.status if plan is not None else "missing"
