from celery import shared_task

from evfleet import realtime
from fleet.selectors import fleet_summary_by_department


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=2)
def fleet_summary_broadcast() -> int:
    """Beat job: push the per-department fleet summary to every dashboard; each keeps its own departments."""
    per_department = fleet_summary_by_department()
    realtime.publish(
        "fleet.summary", {"departments": {str(k): v for k, v in per_department.items()}}, department_id=None
    )
    return len(per_department)
