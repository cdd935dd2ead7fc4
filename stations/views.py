"""Dashboard pages of stations: the live site grid and a station's detail."""

from datetime import timedelta

from django.contrib.auth.decorators import permission_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.scoping import scoped
from fleet.views import _dashboard_user
from stations import selectors
from stations.models import Alert, ChargePoint, Connector, OcppCommand, OcppMessage

AVAILABILITY_DAYS = 30


@_dashboard_user
@permission_required("stations.view_chargepoint", raise_exception=True)
def station_overview(request):
    user = request.user
    sites = selectors.site_list(user=user).prefetch_related(
        Prefetch(
            "charge_points",
            queryset=ChargePoint.objects.order_by("identity").prefetch_related(
                Prefetch("connectors", queryset=Connector.objects.order_by("evse_id", "connector_id"))
            ),
            to_attr="station_list",
        )
    )
    alerts = scoped(Alert.objects.filter(resolved_at__isnull=True).select_related("charge_point", "connector"), user)[
        :20
    ]
    rows = [(site, selectors.site_status(site)) for site in sites]
    return render(request, "stations/overview.html", {"sites": rows, "alerts": alerts})


@_dashboard_user
@permission_required("stations.view_chargepoint", raise_exception=True)
def charge_point_detail(request, pk: int):
    charge_point = get_object_or_404(selectors.charge_point_list(user=request.user), pk=pk)
    end = timezone.now()
    start = end - timedelta(days=AVAILABILITY_DAYS)
    connectors = [
        (connector, selectors.connector_availability(connector=connector, start=start, end=end))
        for connector in charge_point.connectors.all()
    ]
    return render(
        request,
        "stations/charge_point_detail.html",
        {
            "cp": charge_point,
            "connectors": connectors,
            "availability_days": AVAILABILITY_DAYS,
            "alerts": charge_point.alerts.select_related("connector")[:20],
            "commands": OcppCommand.objects.filter(charge_point=charge_point).select_related("requested_by")[:20],
            "ocpp_log": OcppMessage.objects.filter(charge_point=charge_point)[:50]
            if request.user.has_perm("stations.view_ocppmessage")
            else None,
        },
    )
