"""The state-of-health pages: the fleet's vehicles nearing a threshold, and the panel on fleet's vehicle page."""

import math

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render

from accounts.decorators import dashboard_user
from simulation.charts import health_figure
from simulation.forms import ThresholdForm
from simulation.selectors import health as selectors
from simulation.selectors.health import DEFAULT_THRESHOLD_PERCENT, MAX_HORIZON_DAYS

VIEW = "simulation.view_vehiclehealth"


@dashboard_user
@permission_required(VIEW, raise_exception=True)
def health_overview(request):
    """Vehicles whose predicted state of health reaches the threshold, with the current SoH and the dates."""
    form = ThresholdForm(request.GET or None)
    if form.is_bound and form.is_valid():
        threshold, sort = form.cleaned_data["threshold_percent"], form.cleaned_data["sort"]
    else:
        threshold, sort = DEFAULT_THRESHOLD_PERCENT, "expected"
    rows = selectors.vehicles_nearing(user=request.user, threshold_percent=threshold, sort=sort)
    query = request.GET.copy()
    query.pop("sort", None)
    return render(
        request,
        "simulation/health.html",
        {
            "form": form,
            "rows": rows,
            "threshold": threshold,
            "sort": sort,
            "sorts": selectors.SORTS,
            "query": query.urlencode(),
            "valid": not form.is_bound or form.is_valid(),
        },
    )


def vehicle_health_panel(request, vehicle):
    """fleet.panels: the state-of-health section of the vehicle page (three queries), for who may see it."""
    if not request.user.has_perm(VIEW):
        return None
    data = selectors.vehicle_health(vehicle=vehicle)
    current = data["current"]
    prediction = selectors.prediction_until(current.prediction if current else {}, MAX_HORIZON_DAYS)
    found = selectors.crossing(current.prediction, DEFAULT_THRESHOLD_PERCENT) if current else None
    figure = health_figure(
        history=data["history"],
        observations=data["observations"],
        prediction=prediction,
        threshold_percent=DEFAULT_THRESHOLD_PERCENT,
    )
    return (
        "simulation/vehicle_health_panel.html",
        {
            "health": current,
            "band_percent": 1.96 * math.sqrt(max(current.variance, 0.0)) if current else None,
            "crossing": found,
            "threshold": DEFAULT_THRESHOLD_PERCENT,
            "health_figure": figure,
            "observation_count": len(data["observations"]),
        },
    )
