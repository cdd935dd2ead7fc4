"""The live depot view: the depots a user may see, and one depot's charge points and connectors with the vehicle on
each, its power and SoC now, its next departure and smart charging's plan, the site's load against its limits;
and the dispatcher's actions from there (start, stop, priority, reset, unlock), each a POST through the owning
app's service, answered with a message on the depot page."""

from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import dashboard_user
from accounts.scoping import scoped
from charging import selectors as charging_selectors
from charging import services as charging_services
from dispatch import depot_selectors as selectors
from dispatch import depot_services as services
from fleet import selectors as fleet_selectors
from fleet.models import Vehicle
from stations.models import ChargePoint, Connector, Site

VIEW = ("stations.view_site", "stations.view_chargepoint")
START = "charging.add_chargingsession"
STOP = "charging.change_chargingsession"
PRIORITY = ("fleet.change_vehicle", "charging.add_chargingplan")  # a new priority re-plans the site
STATION = ("stations.add_ocppcommand", "stations.change_chargepoint")  # reset and unlock: the technician's


def _site(request, pk: int) -> Site:
    return get_object_or_404(scoped(Site.objects.select_related("department", "carbon_zone"), request.user), pk=pk)


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for ms in exc.message_dict.values() for m in ms)
    return " ".join(exc.messages)


def _back(site: Site):
    return redirect("dispatch:depot-detail", pk=site.pk)


def load_figure(depot: selectors.Depot) -> str | None:
    """The site's planned load for the next hours (vehicles, expected arrivals) against its limit, in its zone."""
    if depot.plan is None:
        return None
    moments, vehicles, expected, limit = selectors.plan_totals(depot.plan, depot.plan_start_index)
    if not moments:
        return None
    zone = ZoneInfo(depot.site.time_zone)
    x = [m.astimezone(zone).strftime("%Y-%m-%d %H:%M") for m in moments]
    traces = [
        go.Scatter(x=x, y=vehicles, name="Planned: vehicles", mode="lines", stackgroup="plan",
                   line=dict(width=0.5, shape="hv", color="#1f77b4")),
    ]  # fmt: skip
    if any(expected):
        traces.append(go.Scatter(x=x, y=expected, name="Expected arrivals", mode="lines", stackgroup="plan",
                                 line=dict(width=0.5, shape="hv", color="#bbbbbb")))  # fmt: skip
    traces.append(go.Scatter(x=x, y=limit, name="Site limit", mode="lines",
                             line=dict(color="#d62728", dash="dash", shape="hv")))  # fmt: skip
    layout = dict(
        height=300, template="plotly_white", hovermode="x unified", margin=dict(l=50, r=10, t=10, b=40),
        yaxis=dict(title="kW", rangemode="tozero"), legend=dict(orientation="h", y=-0.2),
        xaxis=dict(title=None),
    )  # fmt: skip
    return go.Figure(traces, layout=layout).to_json()


def sparkline(series: list[float], scale_kw: float) -> str:
    """An SVG polyline's points for `series` (kW per interval), 0..scale_kw over a 96 × 24 box."""
    if not series or scale_kw <= 0:
        return ""
    step = 96 / max(len(series), 1)
    points = []
    for i, kw in enumerate(series):  # a step line, as the plan holds each power for its interval
        y = round(24 - min(kw, scale_kw) / scale_kw * 22, 1)
        points += [f"{round(i * step, 1)},{y}", f"{round((i + 1) * step, 1)},{y}"]
    return " ".join(points)


@dashboard_user
@permission_required(VIEW, raise_exception=True)
def depot_list(request):
    sites = list(selectors.depot_list(user=request.user))
    loads = selectors.load_now_by_site(user=request.user, sites=sites)
    rows = []
    for s in sites:
        load = loads.get(s.pk, 0.0)
        share = min(100.0, load / float(s.grid_limit_kw) * 100) if s.grid_limit_kw else None
        rows.append({"site": s, "load_kw": load, "share": share})
    return render(request, "dispatch/depot_list.html", {"rows": rows})


@dashboard_user
@permission_required(VIEW, raise_exception=True)
def depot_detail(request, pk: int):
    site = _site(request, pk)
    depot = selectors.depot_detail(user=request.user, site=site)
    for row in depot.rows:
        scale = float(row.connector.max_power_kw or 0) or max(row.planned_kw, default=0.0)
        row.spark = sparkline(row.planned_kw, scale)
        row.spark_max = round(max(row.planned_kw, default=0.0), 1)
    counts = {
        "sessions": sum(1 for r in depot.rows if r.session),
        "free": sum(1 for r in depot.rows if r.session is None and r.connector.status == "Available"),
        "down": sum(1 for r in depot.rows if r.connector.status in ("Faulted", "Unavailable")),
        "short": sum(
            1
            for r in depot.rows
            if r.required_soc_percent is not None
            and r.soc_now_percent is not None
            and r.soc_now_percent < r.required_soc_percent
        ),
    }
    limit = float(site.grid_limit_kw) if site.grid_limit_kw is not None else None
    context = {
        "site": site,
        "depot": depot,
        "figure": load_figure(depot),
        "limit_kw": limit,
        "counts": counts,
        "load_share": min(100.0, depot.load_now_kw / limit * 100) if limit else None,
        "priorities": Vehicle.PriorityClass.choices,
        "plan_hours": selectors.PLAN_HOURS,
        "startable": charging_selectors.STARTABLE,
        "can": {
            "start": request.user.has_perm(START),
            "stop": request.user.has_perm(STOP),
            "priority": request.user.has_perms(PRIORITY),
            "station": request.user.has_perms(STATION),
        },
    }
    return render(request, "dispatch/depot_detail.html", context)


@dashboard_user
@require_POST
@permission_required(START, raise_exception=True)
def depot_start(request, pk: int, connector_pk: int):
    site = _site(request, pk)
    connector = get_object_or_404(
        Connector.objects.select_related("charge_point__site"), pk=connector_pk, charge_point__site=site
    )
    raw = request.POST.get("vehicle", "")
    vehicle = fleet_selectors.vehicle_list(user=request.user).filter(pk=raw).first() if str(raw).isdigit() else None
    if vehicle is None:
        messages.error(request, f"Choose a vehicle of your departments to start at {connector.label()}.")
        return _back(site)
    try:
        session = charging_services.session_start(actor=request.user, vehicle=vehicle, connector=connector)
    except ValidationError as exc:
        messages.error(request, f"Not started: {_error_text(exc)}")
    else:
        messages.success(
            request, f"Start sent to {session.charge_point.identity} for {vehicle.fleet_number or vehicle}; "
            "the session is pending until the station starts it."
        )  # fmt: skip
    return _back(site)


@dashboard_user
@require_POST
@permission_required(STOP, raise_exception=True)
def depot_stop(request, pk: int, session_pk: int):
    """The form asks for confirmation in the browser (data-confirm); the stop itself is charging's session_stop."""
    site = _site(request, pk)
    session = get_object_or_404(
        charging_selectors.session_list(user=request.user, owner_only=True), pk=session_pk, charge_point__site=site
    )
    try:
        command = charging_services.session_stop(actor=request.user, session=session)
    except ValidationError as exc:
        messages.error(request, f"Not stopped: {_error_text(exc)}")
    else:
        where = f"{session.charge_point.identity}/{session.connector.evse_id}"
        messages.success(
            request,
            f"Stop sent to {where}; the session ends when the station confirms."
            if command
            else f"The pending session at {where} was cancelled.",
        )
    return _back(site)


@dashboard_user
@require_POST
@permission_required(PRIORITY, raise_exception=True)
def depot_priority(request, pk: int, vehicle_pk: int):
    site = _site(request, pk)
    vehicle = get_object_or_404(fleet_selectors.vehicle_list(user=request.user), pk=vehicle_pk)
    priority = request.POST.get("priority_class", "")
    try:
        replanned = services.vehicle_priority_set(actor=request.user, vehicle=vehicle, priority_class=priority)
    except ValidationError as exc:
        messages.error(request, f"Priority not changed: {_error_text(exc)}")
    else:
        then = " Smart charging re-plans the site now." if replanned else ""
        messages.success(request, f"{vehicle.fleet_number or vehicle} now has priority {priority}.{then}")
    return _back(site)


@dashboard_user
@require_POST
@permission_required(STATION, raise_exception=True)
def depot_reset(request, pk: int, charge_point_pk: int):
    site = _site(request, pk)
    charge_point = get_object_or_404(ChargePoint.objects.select_related("site"), pk=charge_point_pk, site=site)
    kind = request.POST.get("kind", "soft")
    try:
        services.charge_point_reset(actor=request.user, charge_point=charge_point, kind=kind)
    except ValidationError as exc:
        messages.error(request, f"Not reset: {_error_text(exc)}")
    else:
        messages.success(request, f"{kind.capitalize()} reset sent to {charge_point.identity}; its answer shows here.")
    return _back(site)


@dashboard_user
@require_POST
@permission_required(STATION, raise_exception=True)
def depot_unlock(request, pk: int, connector_pk: int):
    site = _site(request, pk)
    connector = get_object_or_404(
        Connector.objects.select_related("charge_point__site"), pk=connector_pk, charge_point__site=site
    )
    try:
        services.connector_unlock(actor=request.user, connector=connector)
    except ValidationError as exc:
        messages.error(request, f"Not unlocked: {_error_text(exc)}")
    else:
        messages.success(request, f"Unlock sent to {connector.label()}; its answer shows here.")
    return _back(site)
