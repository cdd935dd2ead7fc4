"""Per-request context for the activity log and the user's local time zone."""

import ipaddress
import zoneinfo

from django.conf import settings
from django.utils import timezone

from accounts.audit import Source, request_context
from evfleet import formatting


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the address the declared number of trusted proxies put in X-Forwarded-For; None if that
    is no IP address (a test client's "testclient", a garbled header), which the log's inet column refuses."""
    proxies = settings.EVFLEET_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = request.META.get("REMOTE_ADDR") or None
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def source_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return Source.API
    if path.startswith("/admin/"):
        return Source.ADMIN
    return Source.DASHBOARD


def activate_time_zone(user) -> None:
    """Show times in the user's department's zone and distances in its unit (the default zone and km for admins
    and anonymous users)."""
    department = getattr(user, "department", None) if user is not None and user.is_authenticated else None
    zone = department.time_zone if department is not None else settings.EVFLEET_DEFAULT_TIME_ZONE
    timezone.activate(zoneinfo.ZoneInfo(zone))
    formatting.activate_distance_unit(department.distance_unit if department is not None else formatting.KM)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        activate_time_zone(getattr(request, "user", None))  # API token users: again after authentication
        try:
            with request_context(source=source_for_path(request.path), ip_address=client_ip(request)):
                return self.get_response(request)
        finally:
            timezone.deactivate()
            formatting.deactivate_distance_unit()
