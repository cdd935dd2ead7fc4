"""Dashboard pages of simulation: the weather and traffic feeds and what they say at each site."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone

from fleet.views import _dashboard_user
from simulation.selectors import feeds as selectors


@_dashboard_user
@permission_required("stations.view_site", raise_exception=True)
def feeds(request):
    """Each feed's source, last success and age (a warning when stale or failing), and per site the weather of
    this hour and the latest traffic reading. Constant queries: the feed statuses, the sites with this hour's
    weather, and their latest traffic readings."""
    now = timezone.now()
    return render(
        request,
        "simulation/feeds.html",
        {
            "feeds": selectors.feed_health(now),
            "sites": selectors.site_conditions(user=request.user, now=now),
            "now": now,
        },
    )
