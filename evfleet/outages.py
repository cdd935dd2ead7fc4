"""Tasks through an outage of the platform's own services: the database, and Redis as broker or channel layer.

Such an error is not the task's fault and says nothing about whether the next attempt will work, so a task
that must not be lost (a scheduled report) retries it without counting an attempt (`outage_retry`). And the
retry itself, or beat's scheduled send, goes to the broker that may be the very thing that is down: Celery
gives up after its connect timeout (4 s) and the message is dropped, so both keep sending until the broker takes
it (`publish_through_outage`, up to `PUBLISH_WAIT_S`).
"""

import logging
import time

import kombu.exceptions
import redis.exceptions
from celery.beat import SchedulingError
from celery.exceptions import Reject
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (
    OperationalError,  # the database is down or refuses connections (also the pool's timeout)
    InterfaceError,  # a connection that broke under the task
    redis.exceptions.ConnectionError,  # Redis, as cache or channel layer
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,  # Redis, as the broker
)

PUBLISH_WAIT_S = 3600.0  # how long a retry or a scheduled send waits for the broker before it fails
PUBLISH_PAUSE_MAX_S = 30.0

# An outage outlasting these retries (1, 2, 4 … 30 minutes apart: about 12 hours) fails the task.
OUTAGE_MAX_RETRIES = 28
OUTAGE_RETRY_MAX_DELAY_S = 1800


def _outage_behind(exc: BaseException) -> BaseException | None:
    """The outage error a failed publish stands for: Task.retry wraps it in Reject, beat in SchedulingError."""
    if isinstance(exc, Reject):
        exc = exc.reason
    elif isinstance(exc, SchedulingError):
        exc = exc.__cause__ or exc.__context__
    return exc if isinstance(exc, OUTAGE_ERRORS) else None


def publish_through_outage(send, *, wait_s: float = PUBLISH_WAIT_S, pause_s: float = 1.0):
    """Call `send` (something that publishes to the broker) again, 1, 2, 4 … 30 s apart, while the broker is down,
    for up to `wait_s`; anything else it raises (Celery's Retry among them) goes through at once."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return send()
        except Exception as exc:
            outage = _outage_behind(exc)
            if outage is None or time.monotonic() + pause_s > deadline:
                raise
            logger.warning("The broker is unavailable (%s); sending again in %.0f s", outage, pause_s)
        time.sleep(pause_s)
        pause_s = min(pause_s * 2, PUBLISH_PAUSE_MAX_S)


def outage_retry(task, exc: BaseException, *, outages: int):
    """Raise from a bound task that hit an outage: a retry in 1, 2, 4 … 30 minutes whose `outages` keyword counts
    it apart from the task's real attempts; after OUTAGE_MAX_RETRIES, `exc` itself."""
    if outages >= OUTAGE_MAX_RETRIES:
        return exc
    countdown = get_exponential_backoff_interval(60, outages, OUTAGE_RETRY_MAX_DELAY_S, full_jitter=False)
    kwargs = {**task.request.kwargs, "outages": outages + 1}
    # max_retries: an outage is not bounded by the task's attempts
    return publish_through_outage(
        lambda: task.retry(exc=exc, kwargs=kwargs, countdown=countdown, max_retries=task.request.retries + 1)
    )


def attempt_retry(task, exc: BaseException, *, countdown: float):
    """Raise from a bound task whose attempt failed: its retry, published through a broker outage."""
    return publish_through_outage(lambda: task.retry(exc=exc, countdown=countdown))


class OutageTolerantSchedulerMixin:
    """For a beat scheduler: a send due while the broker is down waits for it, and is not dropped."""

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        sends = iter([advance])  # the entry advances on the first attempt only

        def send():
            return super(OutageTolerantSchedulerMixin, self).apply_async(
                entry, producer=producer, advance=next(sends, False), **kwargs
            )

        return publish_through_outage(send)
