"""The readiness board, the home page: will every vehicle be ready for its next trip? Per depot, each vehicle with a
next planned trip: its departure (in the depot's zone), the SoC it needs, has and is expected to have, where it is
and its status with the reason; filters, counts per status, live over the dashboard socket (the page's rows are
fetched again, as a fragment, when an event that changes readiness arrives)."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import dashboard_user
from charging.services.readiness import REASONS, STATUSES
from dispatch import board as readiness_board
from fleet.models import VehicleModel

WITHIN_CHOICES = (4, 8, 12, 24, 48)


def _filters(request) -> readiness_board.Filters:
    get = request.GET
    depot = get.get("depot", "")
    within = get.get("within", "")
    return readiness_board.Filters(
        depot=int(depot) if depot.isdigit() else None,
        status=get.get("status", "") if get.get("status", "") in STATUSES else "",
        vehicle_class=get.get("class", "") if get.get("class", "") in VehicleModel.VehicleClass.values else "",
        within_hours=int(within) if within.isdigit() and int(within) in WITHIN_CHOICES else None,
    )


@dashboard_user
@permission_required("operations.view_trip", raise_exception=True)
def board(request):
    now = timezone.now()
    filters = _filters(request)
    page = request.GET.get("page", "1")
    result = readiness_board.board(user=request.user, filters=filters, now=now,
                                   page=int(page) if page.isdigit() else 1)  # fmt: skip
    query = request.GET.copy()
    for key in ("page", "fragment"):
        query.pop(key, None)
    context = {
        "board": result,
        "filters": filters,
        "statuses": list(STATUSES.items()),
        "status_counts": [(key, label, result.counts[key]) for key, label in STATUSES.items()],
        "reasons": REASONS,
        "classes": VehicleModel.VehicleClass.choices,
        "within_choices": WITHIN_CHOICES,
        "query": query.urlencode(),
        "now": now,
    }
    template = "dispatch/board_rows.html" if request.GET.get("fragment") else "dispatch/board.html"
    return render(request, template, context)
