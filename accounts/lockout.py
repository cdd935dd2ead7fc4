"""Sign-in throttling on top of django-axes: until when a username is locked at an address, and how that is said;
and the throttle of password reset requests.

The settings (evfleet/settings.py, AXES_*) lock a username at one client address after EVFLEET_LOGIN_FAILURE_LIMIT
wrong passwords for EVFLEET_LOGIN_COOLOFF seconds from the last failure. The sign-in pages get the form again with
the time the lock lifts (429, via AxesMiddleware and AXES_LOCKOUT_CALLABLE); the API token endpoint raises
`SignInLocked`, which the API's error handler turns into a 429 with Retry-After.
"""

import hashlib
import math
from datetime import UTC, datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone
from rest_framework import exceptions, status

from accounts.forms import DashboardLoginForm
from evfleet.api.errors import ErrorCode

LOCKED_MESSAGE = (
    "Too many failed sign-ins for this username from your address. Try again after {time} (in {minutes} min), "
    "or ask an administrator to unlock it."
)


def _credentials(request, credentials: dict | None) -> dict:
    if credentials:
        return credentials
    return getattr(request, "axes_credentials", None) or {"username": request.POST.get("username")}


def locked_until(request, credentials: dict | None = None) -> datetime:
    """When the lock of this username at this client address lifts: the last counted failure plus the cool-off."""
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    latest = [
        attempts.aggregate(last=Max("attempt_time"))["last"]
        for attempts in handler.get_user_attempts(request, _credentials(request, credentials))
    ]
    last_failure = max((time for time in latest if time is not None), default=timezone.now())
    return last_failure + get_cool_off(request)


def seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def locked_message(until: datetime) -> str:
    return LOCKED_MESSAGE.format(
        time=timezone.localtime(until).strftime("%H:%M"), minutes=math.ceil(seconds_until(until) / 60)
    )


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in form again, saying until when the username is locked here (429)."""
    until = locked_until(request, credentials if isinstance(credentials, dict) else None)
    form = DashboardLoginForm(request, initial={"username": _credentials(request, None).get("username") or ""})
    response = render(
        request,
        "accounts/login.html",
        {"form": form, "locked_out": locked_message(until), "next": request.POST.get("next", "")},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds_until(until))
    return response


def attempts_forget(request, credentials: dict) -> None:
    """After a successful sign-in outside `login()` (the token endpoint): forget that pair's earlier failures."""
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(request, credentials)


class SignInLocked(exceptions.APIException):
    """429 from POST auth/token/ while the username is locked at the caller's address."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = ErrorCode.SIGN_IN_LOCKED
    default_detail = "Too many failed sign-ins for this username from your address."

    def __init__(self, until: datetime):
        self.wait = seconds_until(until)
        super().__init__(
            f"Too many failed sign-ins for this username from your address: try again in {self.wait} s "
            f"(after {until.astimezone(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z')}), "
            "or ask an administrator to unlock it."
        )


# --- password reset requests --------------------------------------------------------------------------------

RESET_THROTTLED_MESSAGE = (
    "Too many password reset requests from your address or for this email address. Try again in {minutes} min."
)


def password_reset_keys(*, address: str | None, email: str) -> list[str]:
    """The cache keys that count reset requests: one per client address, one per email address (hashed)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return [f"evfleet:password-reset:address:{address}", f"evfleet:password-reset:email:{digest}"]


def password_reset_throttled(*, address: str | None, email: str) -> bool:
    """Count one request; True when this address or this email address asked more than EVFLEET_LOGIN_FAILURE_LIMIT
    times within EVFLEET_LOGIN_COOLOFF. The same answer whether or not an account has that email address.

    In the cache (Redis in production, shared by every process; one process's memory in the embedded mode, which
    runs one server process): a fixed window from the first request, kept by `add`, counted by `incr`.
    """
    window = int(settings.AXES_COOLOFF_TIME.total_seconds())
    over = False
    for key in password_reset_keys(address=address, email=email):
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
        over = over or count > settings.AXES_FAILURE_LIMIT
    return over


def password_reset_throttled_message() -> str:
    return RESET_THROTTLED_MESSAGE.format(minutes=math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
