"""Smart-charging pages: the sites with their current plan, and a site's plan: planned power per vehicle
(stacked) with the actual power and the limit, and each vehicle's plan and expected SoC at departure."""

import math
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts.scoping import scoped
from charging.models import ChargingPlan, MeterSample
from charging.services import smart
from fleet.views import _dashboard_user
from stations.models import Site

ACTUAL_HOURS_BEFORE = 6  # how much of the past the chart shows as actual power


def _actual(site: Site, start, end) -> tuple[list[str], list[float]]:
    """The site's measured charging power per 15 minutes: the mean of each connector's readings, summed (one
    query)."""
    rows = MeterSample.objects.filter(
        connector__charge_point__site=site, sampled_at__gte=start, sampled_at__lt=end, power_kw__isnull=False
    ).values_list("connector_id", "sampled_at", "power_kw")
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0])
    for connector, moment, kw in rows:
        bucket = int((moment - start).total_seconds() // 900)
        sums[(connector, bucket)][0] += kw
        sums[(connector, bucket)][1] += 1
    per_bucket: dict[int, float] = defaultdict(float)
    for (_connector, bucket), (total, count) in sums.items():
        per_bucket[bucket] += total / count
    buckets = math.ceil((end - start).total_seconds() / 900)  # the quarter hour under way too
    zone = ZoneInfo(site.time_zone)
    times = [(start + timedelta(minutes=15 * b)).astimezone(zone).strftime("%Y-%m-%d %H:%M") for b in range(buckets)]
    return times, [round(per_bucket.get(b, 0.0), 2) for b in range(buckets)]


def plan_figure(plan: ChargingPlan, site: Site) -> str:
    start = plan.starts_at
    zone = ZoneInfo(site.time_zone)  # the site's clock, as on its tariff pages
    times = [(start + timedelta(minutes=15 * t)).astimezone(zone).strftime("%Y-%m-%d %H:%M")
             for t in range(plan.intervals)]  # fmt: skip
    labels = {v["id"]: v["label"] for v in plan.explanation.get("vehicles", [])}
    traces, expected = [], [0.0] * plan.intervals
    for key, series in sorted(plan.schedule.items(), key=lambda item: labels.get(item[0], item[0])):
        if key.startswith("expected-"):  # placeholders from last week's sessions: one band
            expected = [a + b for a, b in zip(expected, series, strict=False)]
        elif any(series):
            traces.append(go.Scatter(x=times, y=series, name=labels.get(key, key), mode="lines", stackgroup="plan",
                                     line=dict(width=0.5, shape="hv")))  # fmt: skip
    if any(expected):
        traces.append(go.Scatter(x=times, y=[round(kw, 3) for kw in expected], name="Expected arrivals (last week)",
                                 mode="lines", stackgroup="plan", line=dict(width=0.5, shape="hv", color="#bbbbbb"),
                                 fillpattern=dict(shape="/")))  # fmt: skip
    traces.append(go.Scatter(x=times, y=plan.limit_kw, name="Site limit", mode="lines",
                             line=dict(color="#d62728", dash="dash", shape="hv")))  # fmt: skip
    actual_times, actual = _actual(site, start - timedelta(hours=ACTUAL_HOURS_BEFORE), timezone.now())
    traces.append(go.Scatter(x=actual_times, y=actual, name="Actual", mode="lines",
                             line=dict(color="#111", width=2, shape="hv")))  # fmt: skip
    layout = dict(
        title=f"{site.name}: planned power by vehicle (stacked), actual, and the limit",
        height=420, template="plotly_white", hovermode="x unified", margin=dict(l=55, r=20, t=50, b=60),
        yaxis=dict(title="kW", rangemode="tozero"),
        xaxis=dict(title=f"Local time at the site ({site.time_zone})"),
        legend=dict(orientation="h", y=-0.25),
    )  # fmt: skip
    return go.Figure(traces, layout=layout).to_json()


@_dashboard_user
@permission_required("charging.view_chargingplan", raise_exception=True)
def smart_overview(request):
    """Each site with its latest plan (two queries)."""
    newest = (
        ChargingPlan.objects.filter(site=OuterRef("pk"))
        .exclude(trigger=ChargingPlan.Trigger.WHAT_IF)
        .order_by("-created_at")
        .values("pk")[:1]
    )
    sites = list(scoped(Site.objects.order_by("name"), request.user).annotate(plan_id=Subquery(newest)))
    plans = ChargingPlan.objects.in_bulk([s.plan_id for s in sites if s.plan_id])
    rows = [{"site": s, "plan": plans.get(s.plan_id)} for s in sites]
    return render(request, "charging/smart_overview.html", {"rows": rows})


@_dashboard_user
@permission_required("charging.view_chargingplan", raise_exception=True)
def smart_site(request, pk: int):
    site = get_object_or_404(scoped(Site.objects.select_related("carbon_zone"), request.user), pk=pk)
    plan = smart.current_plan(site)
    figure = plan_figure(plan, site) if plan else None
    vehicles = plan.explanation.get("vehicles", []) if plan else []
    for v in vehicles:
        series = plan.schedule.get(v["id"], [])
        now_index = int((timezone.now() - plan.starts_at).total_seconds() // 900)
        v["now_kw"] = series[now_index] if 0 <= now_index < len(series) else None
        v["departure"] = parse_datetime(v["departure_at"]) if v.get("departure_at") else None
    return render(request, "charging/smart_site.html",
                  {"site": site, "plan": plan, "figure": figure, "vehicles": vehicles})  # fmt: skip


@_dashboard_user
@require_POST
@permission_required("charging.add_chargingplan", raise_exception=True)
def smart_replan(request, pk: int):
    site = get_object_or_404(scoped(Site.objects.select_related("carbon_zone"), request.user), pk=pk)
    plan = smart.plan_site(site=site, trigger=ChargingPlan.Trigger.MANUAL, apply=site.smart_charging)
    sent = " and sent to the stations" if plan.applied else " (not sent: smart charging is off for this site)"
    messages.success(request, f"Re-planned in {plan.solve_ms:.0f} ms{sent}.")
    return redirect("charging:smart-site", pk=site.pk)
