"""The read models of the analytics pages and API: the fleet dashboard, comparisons, trends with forecasts and the
environmental report. Each runs a fixed number of queries whatever the fleet's size."""

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Floor
from django.utils import timezone

from accounts.models import Department, User
from analytics import forecast as forecasting
from analytics.metrics import (
    GROUPINGS,
    METRICS,
    Context,
    Parts,
    Spec,
    _money,
    _scope_q,
    compute,
    compute_parts,
    derive,
    labels,
    load_context,
    main_currency,
    validate,
    vehicle_label,
)
from analytics.models import CarbonOffset, ChargingDay, ChargingGroupDay, SiteDay
from analytics.periods import Period
from analytics.reporting.result import Column, ReportResult
from charging.models import ChargingSession, Reservation
from charging.services.readiness import AT_RISK, NOT_PLUGGED_IN, fleet_readiness
from fleet.models import Vehicle
from fleet.selectors import session_charges_vehicle
from notifications.models import ThresholdRule
from operations.models import Trip
from stations.models import Connector

KPI_METRICS = [
    "energy_charged_kwh",
    "energy_consumed_kwh",
    "distance_km",
    "cost",
    "cost_per_km",
    "efficiency_kwh_per_100km",
    "sessions",
    "connector_utilization_percent",
    "connector_availability_percent",
    "peak_demand_kw",
    "charging_emissions_kg",
    "avoided_emissions_kg",
    "renewable_share_percent",
]
VEHICLE_METRICS = [
    "energy_charged_kwh",
    "energy_consumed_kwh",
    "distance_km",
    "cost",
    "cost_per_km",
    "efficiency_kwh_per_100km",
    "sessions",
]
SITE_METRICS = [
    "connector_utilization_percent",
    "connector_availability_percent",
    "peak_demand_kw",
    "peak_of_grid_limit_percent",
]
TOP_VEHICLES = 15
# metrics that are sums: a group with no rows in a period has 0 of them (ratios and peaks have none)
SUMMED = {
    "sessions",
    "energy_charged_kwh",
    "energy_consumed_kwh",
    "distance_km",
    "cost",
    "charging_emissions_kg",
    "ice_baseline_kg",
    "offsets_kg",
}
AT_RISK_HORIZON = timedelta(hours=24)


def _rows(groups: dict, keys: list, names: dict, metrics: list[str], currency: str) -> list[dict]:
    rows = []
    for key in keys:
        values = derive(groups.get(key, Parts()), currency)
        rows.append(
            {
                "key": key.isoformat() if isinstance(key, date) else key,
                "label": names.get(key, str(key)),
                **{m: values[m] for m in metrics},
            }
        )
    return rows


def _labelled(grouping: str, groups: dict, metrics: list[str], currency: str, context: Context) -> list[dict]:
    """Every group's row with its label, in label order."""
    keys = list(groups)
    rows = _rows(groups, keys, labels(grouping, keys, context), metrics, currency)
    return sorted(rows, key=lambda r: str(r["label"]))


def dashboard(user: User, period: Period, department: Department | None = None, now: datetime | None = None) -> dict:
    """Everything the dashboard shows for a period, scoped to the department (default: what the user sees)."""
    now = now or timezone.now()
    spec = Spec(metrics=KPI_METRICS, grouping="total", period=period, department=department)
    validate(spec, user)
    context = load_context(spec, user)

    # 1. the total, models and departments from the per-group rollups (one charging and one usage query)
    fleet_spec = replace(spec, metrics=VEHICLE_METRICS + ["charging_emissions_kg", "avoided_emissions_kg",
                                                          "renewable_share_percent"])  # fmt: skip
    fleet = compute_parts(fleet_spec, user, context, ["total", "vehicle_model", "department"])
    # 2. sites (and their part of the total) from one site-day query
    site_spec = replace(spec, metrics=SITE_METRICS)
    sites = compute_parts(site_spec, user, context, ["total", "site"])
    total = Parts()
    total.add(fleet["total"].get("total", Parts()))
    total.add(sites["total"].get("total", Parts()))
    currency, other_currencies = main_currency(fleet["total"])
    kpis = derive(total, currency)
    # 3. the vehicles that charged most, and their figures (two small queries by vehicle)
    ids = list(context.departments)
    top = list(
        ChargingDay.objects.filter(_scope_q(spec, user, ids=ids), day__gte=period.first, day__lte=period.last)
        .exclude(vehicle=None)
        .values("vehicle_id")
        .annotate(kwh=Sum("energy_kwh"))
        .order_by("-kwh", "vehicle_id")
        .values_list("vehicle_id", flat=True)[:TOP_VEHICLES]
    )
    by_vehicle = compute_parts(replace(fleet_spec, filters={"vehicle": top}), user, context, ["vehicle"])["vehicle"]
    vehicle_names = labels("vehicle", top, context)
    vehicle_count = _vehicles(user, department).exclude(status=Vehicle.Status.RETIRED).count()

    # 4. per day
    daily = _daily(spec, user, period, currency, ids)
    # 5. each site's daily peak against its limit
    peaks = _site_peaks(spec, user, ids)
    return {
        "period": {"start": period.first.isoformat(), "end": period.last.isoformat(), "days": period.days},
        "scope": department.name if department else (context.root.name if context.root else "All departments"),
        "currency": currency,
        "other_currencies": {c: str(_money(a, c)) for c, a in other_currencies.items()},
        "kpis": {m: kpis[m] for m in KPI_METRICS},
        "vehicles": _rows(by_vehicle, top, vehicle_names, VEHICLE_METRICS, currency),
        "vehicle_count": vehicle_count,
        "models": _labelled("vehicle_model", fleet["vehicle_model"], VEHICLE_METRICS, currency, context),
        "departments": _labelled("department", fleet["department"], VEHICLE_METRICS, currency, context),
        "sites": _labelled("site", sites["site"], SITE_METRICS, currency, context),
        "daily": daily,
        "site_peaks": peaks,
        "soc_distribution": soc_distribution(user, department),
        "at_risk": vehicles_at_risk(user, department, now),
    }


def _daily(spec: Spec, user: User, period: Period, currency: str, ids: list[int]) -> list[dict]:
    rows = (
        ChargingGroupDay.objects.filter(_scope_q(spec, user, ids=ids), day__gte=period.first, day__lte=period.last)
        .values("day")
        .annotate(n=Sum("sessions"), kwh=Sum("energy_kwh"), spent=Sum("cost_total", filter=Q(currency=currency)))
        .order_by("day")
    )
    found = {r["day"]: r for r in rows}
    out, day = [], period.first
    while day <= period.last:
        r = found.get(day, {})
        out.append(
            {
                "day": day.isoformat(),
                "sessions": r.get("n") or 0,
                "energy_charged_kwh": round(r.get("kwh") or 0.0, 1),
                "cost": _money(r.get("spent") or Decimal(0), currency),
            }
        )
        day += timedelta(days=1)
    return out


def _site_peaks(spec: Spec, user: User, ids: list[int]) -> list[dict]:
    """Per site: its daily peaks and its grid limit (one query)."""
    rows = (
        SiteDay.objects.filter(_scope_q(spec, user, ids=ids), day__gte=spec.period.first, day__lte=spec.period.last)
        .values("site_id", "site__name", "day", "peak_kw", "grid_limit_kw")
        .order_by("site__name", "day")
    )
    sites: dict[int, dict] = {}
    for r in rows:
        site = sites.setdefault(
            r["site_id"], {"site": r["site__name"], "grid_limit_kw": r["grid_limit_kw"], "days": [], "peak_kw": []}
        )
        site["days"].append(r["day"].isoformat())
        site["peak_kw"].append(r["peak_kw"])
    return list(sites.values())


def soc_distribution(user: User, department: Department | None) -> list[dict]:
    """Vehicles in service by state of charge now, in 10 % bands (one query)."""
    vehicles = _vehicles(user, department).exclude(status=Vehicle.Status.RETIRED)
    rows = (
        vehicles.filter(soc_percent__isnull=False)
        .annotate(band=Floor(F("soc_percent") / 10))
        .values("band")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = defaultdict(int)
    for r in rows:
        counts[min(int(r["band"]), 9)] += r["n"]
    return [{"band": f"{b * 10}–{b * 10 + 10} %", "vehicles": counts[b]} for b in range(10)]


def _vehicles(user: User, department: Department | None):
    from accounts.scoping import scoped

    qs = scoped(Vehicle.objects.all(), user)
    if department is not None:
        qs = qs.filter(department__path__startswith=department.path)
    return qs


def _charge_power_kw(vehicle: Vehicle, connector: Connector | None) -> float:
    model = vehicle.vehicle_model
    if connector is None:
        return float(model.max_ac_kw or 0)
    limit = model.max_dc_kw if connector.current_type == Connector.CurrentType.DC else model.max_ac_kw
    return float(min(connector.max_power_kw, limit if limit is not None else connector.max_power_kw))


def _trip_risks(vehicles, now: datetime, horizon: datetime) -> list[dict]:
    """Vehicles whose next trip leaves within the horizon and that will not be ready for it (charging's readiness:
    at risk under the plan, or not plugged in), against the trip's required SoC."""
    leaving = Trip.objects.filter(
        vehicle__in=vehicles, status=Trip.Status.PLANNED, departs_at__gt=now, departs_at__lte=horizon
    ).values("vehicle_id")
    fleet = Vehicle.objects.filter(pk__in=leaving).select_related("vehicle_model", "department")
    out = []
    for r in sorted(fleet_readiness(fleet, now=now).values(), key=lambda r: r.trip.departs_at):
        if r.status not in (AT_RISK, NOT_PLUGGED_IN) or r.trip.departs_at > horizon or r.soc_percent is None:
            continue
        vehicle = r.vehicle
        out.append(
            {
                "vehicle": vehicle.pk,
                "label": vehicle_label(vehicle.fleet_number, vehicle.license_plate, vehicle.vin),
                "department": vehicle.department.name,
                "site": r.trip.depot.name,
                "departure": r.trip.departs_at,
                "soc_percent": round(r.soc_percent, 1),
                "expected_soc_percent": round(
                    r.expected_percent if r.expected_percent is not None else r.soc_percent, 1
                ),
                "target_soc_percent": round(r.required_percent, 1),
                "charging_now": r.session is not None
                and session_charges_vehicle(
                    session_status=r.session.status, ended=False, connector_status=r.session.connector.status
                ),
                "reservation": None,
                "reason": r.reason_text,
            }
        )
    return out


def vehicles_at_risk(user: User, department: Department | None, now: datetime) -> list[dict]:
    """Vehicles leaving within 24 hours whose expected SoC at departure is below target. Those with a trip: charging's
    readiness for it (the plan, or not plugged in) against the trip's required SoC; the others with a booking: their
    SoC now plus what their booked (or current) charging can add before they leave, against the department's
    departure threshold. A constant number of queries."""
    horizon = now + AT_RISK_HORIZON
    vehicles = _vehicles(user, department)
    reservations = list(
        Reservation.objects.filter(vehicle__in=vehicles, status__in=Reservation.HOLDING + (Reservation.Status.QUEUED,))
        .filter(
            Q(departure_at__gt=now, departure_at__lte=horizon)
            | Q(departure_at__isnull=True, ends_at__gt=now, ends_at__lte=horizon)
        )
        .select_related("vehicle__vehicle_model", "vehicle__department", "connector", "site")
        .order_by("departure_at", "ends_at")
    )
    open_sessions = {
        s.vehicle_id: s
        for s in ChargingSession.objects.filter(
            vehicle__in=[r.vehicle_id for r in reservations], ended_at__isnull=True
        ).select_related("connector")
    }
    thresholds = list(
        ThresholdRule.objects.filter(kind="soc_at_departure", is_active=True).values_list(
            "department__path", "threshold"
        )
    )
    out = _trip_risks(vehicles, now, horizon)
    seen = {row["vehicle"] for row in out}
    for r in reservations:
        vehicle = r.vehicle
        if vehicle.pk in seen or vehicle.soc_percent is None:
            continue
        seen.add(vehicle.pk)
        departure = r.departure_at or r.ends_at
        target = float(settings.ANALYTICS_DEPARTURE_SOC_TARGET)
        matching = [(p, t) for p, t in thresholds if vehicle.department.path.startswith(p)]
        if matching:
            target = float(max(matching, key=lambda item: len(item[0]))[1])  # the nearest department's rule
        session = open_sessions.get(vehicle.pk)
        if session is not None:
            hours = max(0.0, (departure - now).total_seconds() / 3600.0)
            power = _charge_power_kw(vehicle, session.connector)
        else:
            window_start, window_end = max(now, r.starts_at), min(departure, r.ends_at)
            hours = max(0.0, (window_end - window_start).total_seconds() / 3600.0)
            power = _charge_power_kw(vehicle, r.connector)
        capacity = float(vehicle.vehicle_model.usable_battery_kwh) * vehicle.state_of_health_percent / 100.0
        expected = min(100.0, vehicle.soc_percent + (power * hours / capacity * 100.0 if capacity > 0 else 0.0))
        if expected < target:
            out.append(
                {
                    "vehicle": vehicle.pk,
                    "label": vehicle_label(vehicle.fleet_number, vehicle.license_plate, vehicle.vin),
                    "department": vehicle.department.name,
                    "site": r.site.name,
                    "departure": departure,
                    "soc_percent": round(vehicle.soc_percent, 1),
                    "expected_soc_percent": round(expected, 1),
                    "target_soc_percent": round(target, 1),
                    "charging_now": session is not None
                    and session_charges_vehicle(
                        session_status=session.status, ended=False, connector_status=session.connector.status
                    ),
                    "reservation": r.pk,
                    "reason": "its booked charging adds too little before it leaves",
                }
            )
    return sorted(out, key=lambda row: row["departure"])


# --- Comparisons ------------------------------------------------------------------------------------------------


def compare(spec: Spec, how: str, user: User | None = None) -> ReportResult:
    """The spec's table next to the same figures of an earlier period (the one before, or a year before), with
    the change and its percentage per metric; ranked by the first metric unless told otherwise."""
    if how not in ("previous", "year_before"):
        from django.core.exceptions import ValidationError

        raise ValidationError({"compare_to": f"Unknown comparison {how!r}: choose previous or year_before."})
    if not spec.sort_by:
        spec = replace(spec, sort_by=spec.metrics[0])
    current = compute(spec, user)
    earlier_period = spec.period.compared(how)
    earlier = compute(replace(spec, period=earlier_period, sort_by=""), user)
    before = {row["key"]: row for row in earlier.rows}
    columns: list[Column] = current.columns[:2]  # rank, label
    for key in spec.metrics:
        column = next(c for c in current.columns if c.key == key)
        columns += [
            column,
            Column(f"{key}__before", f"{column.label}, {earlier_period}", column.unit, column.kind, column.decimals),
            Column(f"{key}__change", f"{column.label}, change", column.unit, column.kind, column.decimals),
            Column(f"{key}__change_percent", f"{column.label}, change", "%", "percent", 1),
        ]
    rows = []
    for row in current.rows:
        earlier_row = before.get(row["key"], {})
        merged = dict(row)
        for key in spec.metrics:
            merged.update(_change(key, row.get(key), earlier_row.get(key)))
        rows.append(merged)
    present = {row["key"] for row in rows}
    for key, earlier_row in before.items():  # groups that had figures before and none now (e.g. a vehicle retired)
        if key in present or spec.grouping in ("day", "week", "month"):
            continue
        merged = {"key": key, "label": earlier_row["label"]}
        for metric in spec.metrics:
            then = earlier_row.get(metric)
            merged[metric] = type(then)(0) if metric in SUMMED and then is not None else None
            merged.update(_change(metric, merged[metric], then))
        rows.append(merged)
    ranked = [r for r in rows if r.get(spec.sort_by) is not None]
    ranked.sort(key=lambda r: r[spec.sort_by], reverse=spec.sort_by != "efficiency_kwh_per_100km")
    rows = ranked + [r for r in rows if r.get(spec.sort_by) is None]
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    totals = dict(current.totals)
    for key in spec.metrics:
        totals.update(_change(key, current.totals.get(key), earlier.totals.get(key)))
    current.columns, current.rows, current.totals = columns, rows, totals
    current.title = f"{current.title}: {spec.period} against {earlier_period}"
    current.notes.append(
        f"Compared with {earlier_period} ({'the period before' if how == 'previous' else 'a year before'})."
    )
    return current


def _change(key: str, now_value: Any, before: Any) -> dict:
    change = percent = None
    if now_value is not None and before is not None:
        change = now_value - before
        if isinstance(change, float):
            change = round(change, METRICS[key].decimals)
        percent = round(float(change) / float(before) * 100.0, 1) if before else None
    return {f"{key}__before": before, f"{key}__change": change, f"{key}__change_percent": percent}


# --- Trends and forecasts -----------------------------------------------------------------------------------------


def trends(user: User, department: Department | None, last_day: date, history_days: int = 365) -> dict:
    """Daily energy and cost up to `last_day` (the history, up to a year) and the next four weeks' forecast of
    each with its band and backtest error. One query."""
    spec = Spec(
        metrics=["energy_charged_kwh"],
        grouping="day",
        period=Period(last_day - timedelta(days=history_days - 1), last_day),
        department=department,
    )
    validate(spec, user)
    rows = list(
        ChargingGroupDay.objects.filter(_scope_q(spec, user), day__gte=spec.period.first, day__lte=last_day)
        .values("day", "currency")
        .annotate(kwh=Sum("energy_kwh"), spent=Sum("cost_total"))
        .order_by("day")
    )
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        if r["currency"]:
            spend[r["currency"]] += r["spent"] or Decimal(0)
    currency = max(spend, key=lambda c: spend[c]) if spend else ""
    if not rows:
        return {
            "currency": currency,
            "history": {"days": [], "energy_kwh": [], "cost": []},
            "energy": None,
            "cost": None,
            "message": "No charging recorded yet.",
        }
    first = rows[0]["day"]
    energy: dict[date, float] = defaultdict(float)
    cost: dict[date, float] = defaultdict(float)
    for r in rows:
        energy[r["day"]] += r["kwh"] or 0.0
        if r["currency"] == currency:
            cost[r["day"]] += float(r["spent"] or 0)
    days = [first + timedelta(days=n) for n in range((last_day - first).days + 1)]
    out = {
        "currency": currency,
        "history": {
            "days": [d.isoformat() for d in days],
            "energy_kwh": [round(energy[d], 1) for d in days],
            "cost": [_money(Decimal(str(round(cost[d], 2))), currency) for d in days],
        },
        "message": "",
    }
    for name, series in (("energy", [energy[d] for d in days]), ("cost", [cost[d] for d in days])):
        try:
            result = forecasting.forecast(days, series)
        except forecasting.NotEnoughHistory as exc:
            out[name], out["message"] = None, str(exc)
            continue

        def rounded(values, name=name):
            if name == "energy":
                return [round(v, 1) for v in values]
            return [_money(Decimal(str(round(v, 2))), currency) for v in values]

        out[name] = {
            "days": [d.isoformat() for d in result.days],
            "mean": rounded(result.mean),
            "lower": rounded(result.lower),
            "upper": rounded(result.upper),
            "total": rounded([sum(result.mean)])[0],
            "level_percent": round(result.level * 100),
            "backtest_mape_percent": round(result.backtest_mape, 1) if result.backtest_mape is not None else None,
            "backtest_days": result.backtest_days,
            "method": result.method,
        }
    return out


# --- Environment ------------------------------------------------------------------------------------------------

ENVIRONMENT_METRICS = [
    "energy_charged_kwh",
    "distance_km",
    "charging_emissions_kg",
    "ice_baseline_kg",
    "avoided_emissions_kg",
    "renewable_share_percent",
    "gco2e_per_km",
]


def environment(user: User, period: Period, department: Department | None = None) -> dict:
    """The emissions-reduction report's figures: totals, by vehicle class and by month, and the offsets."""
    spec = Spec(metrics=ENVIRONMENT_METRICS, grouping="total", period=period, department=department)
    validate(spec, user)
    context: Context = load_context(spec, user)
    groups = compute_parts(spec, user, context, ["total", "vehicle_class", "month"])
    offsets_spec = replace(spec, metrics=["offsets_kg"])
    offsets = compute_parts(offsets_spec, user, context, ["total", "month"])
    total = Parts()
    total.add(groups["total"].get("total", Parts()))
    total.add(offsets["total"].get("total", Parts()))
    values = derive(total, "")
    class_keys = sorted(k for k in groups["vehicle_class"] if k)
    from analytics.metrics import time_keys

    months = time_keys("month", period)
    month_rows = []
    for month in months:
        parts = Parts()
        parts.add(groups["month"].get(month, Parts()))
        parts.add(offsets["month"].get(month, Parts()))
        v = derive(parts, "")
        month_rows.append(
            {"month": f"{month:%Y-%m}", **{m: v[m] for m in ENVIRONMENT_METRICS + ["offsets_kg", "net_emissions_kg"]}}
        )
    certificates = list(
        CarbonOffset.objects.filter(_scope_q(spec, user), retired_on__gte=period.first, retired_on__lte=period.last)
        .select_related("department")
        .order_by("retired_on", "pk")
    )
    reduction = None
    if values["ice_baseline_kg"]:
        reduction = round((values["ice_baseline_kg"] - values["net_emissions_kg"]) / values["ice_baseline_kg"] * 100, 1)
    return {
        "period": {"start": period.first.isoformat(), "end": period.last.isoformat()},
        "totals": {m: values[m] for m in ENVIRONMENT_METRICS + ["offsets_kg", "net_emissions_kg"]},
        "reduction_percent": reduction,
        "by_class": _rows(
            groups["vehicle_class"], class_keys, labels("vehicle_class", class_keys, context), ENVIRONMENT_METRICS, ""
        ),
        "by_month": month_rows,
        "certificates": [
            {
                "registry": c.registry,
                "project": c.project,
                "serial_number": c.serial_number,
                "quantity_t_co2e": str(c.quantity_t_co2e),
                "vintage": c.vintage,
                "retired_on": c.retired_on.isoformat(),
                "department": c.department.name,
            }
            for c in certificates
        ],
        "groupings": GROUPINGS,
    }
