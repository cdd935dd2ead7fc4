"""The metrics engine: what each metric means, how rows are grouped, and the computation of a report.

Figures are summed in the database from the daily rollups (analytics.rollup), one aggregate query per source
(charging, vehicle usage, site days, offsets), grouped by the finest key the grouping needs; coarser groups
(vehicle class, department subtree, week, month, total) are folded in Python from those few rows. Ratios are
derived from the summed parts, so a total's cost per km is total cost over total distance, not a mean of means.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import ExpressionWrapper, F, FloatField, Max, Q, Sum
from django.db.models.functions import NullIf
from django.utils import timezone

from accounts.models import Department, User
from accounts.scoping import visible_departments
from analytics.models import (
    CarbonOffset,
    ChargingDay,
    ChargingGroupDay,
    IceBaseline,
    SiteDay,
    UsageGroupDay,
    VehicleDay,
)
from analytics.periods import Period
from analytics.reporting.result import Chart, Column, ReportResult, Series
from fleet.models import Vehicle, VehicleModel
from pricing.models import currency_minor_units
from stations.models import Site

# --- Catalogue ---------------------------------------------------------------------------------------------------

SOURCE_GROUPINGS = {
    "charging": {"total", "vehicle", "vehicle_model", "vehicle_class", "department", "site", "day", "week", "month"},
    "usage": {"total", "vehicle", "vehicle_model", "vehicle_class", "department", "day", "week", "month"},
    "site": {"total", "department", "site", "day", "week", "month"},
    "offsets": {"total", "department", "day", "week", "month"},
}
SOURCE_NAMES = {
    "charging": "charging sessions",
    "usage": "vehicle telemetry",
    "site": "site and connector data",
    "offsets": "offset certificates",
}
SOURCE_FILTERS = {
    "charging": {"site", "vehicle_model", "vehicle_class", "vehicle"},
    "usage": {"vehicle_model", "vehicle_class", "vehicle"},
    "site": {"site"},
    "offsets": set(),
}

GROUPINGS = {
    "total": "Total",
    "vehicle": "Vehicle",
    "vehicle_model": "Vehicle model",
    "vehicle_class": "Vehicle class",
    "department": "Department",
    "site": "Site",
    "day": "Day",
    "week": "Week",
    "month": "Month",
}
TIME_GROUPINGS = ("day", "week", "month")
# the rollup columns a source can be grouped by
SOURCE_KEYS = {
    "charging": {"vehicle_id", "vehicle_model_id", "department_id", "site_id", "day"},
    "usage": {"vehicle_id", "vehicle_model_id", "department_id", "day"},
    "site": {"department_id", "site_id", "day"},
    "offsets": {"department_id", "day"},
}
FILTERS = {"site", "vehicle_model", "vehicle_class", "vehicle"}


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    kind: str  # number, money, percent, integer
    decimals: int
    sources: tuple[str, ...]
    description: str
    higher_is_better: bool = False

    def column(self, currency: str = "") -> Column:
        unit = currency if self.kind == "money" and self.unit == "" else self.unit
        if self.kind == "money" and self.unit:
            unit = f"{currency}/{self.unit}" if currency else self.unit
        return Column(self.key, self.label, unit, self.kind, self.decimals)


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric("sessions", "Sessions", "", "integer", 0, ("charging",), "Charging sessions started in the period."),
        Metric(
            "energy_charged_kwh",
            "Energy charged",
            "kWh",
            "number",
            1,
            ("charging",),
            "Energy delivered by the sessions started in the period.",
        ),
        Metric(
            "energy_consumed_kwh",
            "Energy consumed",
            "kWh",
            "number",
            1,
            ("usage",),
            "Energy used driving, from the vehicles' power readings.",
        ),
        Metric("distance_km", "Distance", "km", "number", 1, ("usage",), "Distance driven, from odometer readings."),
        Metric("cost", "Charging cost", "", "money", 2, ("charging",), "Charging cost including tax."),
        Metric(
            "cost_per_km",
            "Cost per km",
            "km",
            "money",
            3,
            ("charging", "usage"),
            "Charging cost divided by the distance driven.",
        ),
        Metric(
            "efficiency_kwh_per_100km",
            "Efficiency",
            "kWh/100 km",
            "number",
            1,
            ("usage",),
            "Energy consumed per 100 km driven (lower is better).",
        ),
        Metric(
            "connector_utilization_percent",
            "Connector utilization",
            "%",
            "percent",
            1,
            ("site",),
            "Share of connector hours with a session plugged in.",
            True,
        ),
        Metric(
            "connector_availability_percent",
            "Connector availability",
            "%",
            "percent",
            1,
            ("site",),
            "Share of connector hours not faulted, unavailable or offline.",
            True,
        ),
        Metric(
            "peak_demand_kw",
            "Peak site demand",
            "kW",
            "number",
            1,
            ("site",),
            "Highest 15-minute average power drawn by a site.",
        ),
        Metric(
            "peak_of_grid_limit_percent",
            "Peak against grid limit",
            "%",
            "percent",
            1,
            ("site",),
            "The highest daily peak as a share of its site's grid limit.",
        ),
        Metric(
            "charging_emissions_kg",
            "Charging emissions",
            "kg CO2e",
            "number",
            1,
            ("charging",),
            "Emissions of the electricity charged, hour by hour where the grid's intensity is known.",
        ),
        Metric(
            "renewable_share_percent",
            "Renewable share",
            "%",
            "percent",
            1,
            ("charging",),
            "Share of the energy charged that came from renewable generation.",
            True,
        ),
        Metric(
            "ice_baseline_kg",
            "Combustion baseline",
            "kg CO2e",
            "number",
            1,
            ("usage",),
            "What combustion vehicles of the same classes would have emitted over the same distance.",
        ),
        Metric(
            "avoided_emissions_kg",
            "Avoided emissions",
            "kg CO2e",
            "number",
            1,
            ("charging", "usage"),
            "Combustion baseline minus charging emissions.",
            True,
        ),
        Metric(
            "gco2e_per_km",
            "Emissions per km",
            "g CO2e/km",
            "number",
            1,
            ("charging", "usage"),
            "Charging emissions per km driven.",
        ),
        Metric(
            "offsets_kg",
            "Offsets retired",
            "kg CO2e",
            "number",
            1,
            ("offsets",),
            "Carbon offset certificates retired in the period.",
            True,
        ),
        Metric(
            "net_emissions_kg",
            "Net emissions",
            "kg CO2e",
            "number",
            1,
            ("charging", "offsets"),
            "Charging emissions minus offsets retired.",
        ),
    ]
}


def metric_groupings(metric: Metric) -> set[str]:
    allowed = set(GROUPINGS)
    for source in metric.sources:
        allowed &= SOURCE_GROUPINGS[source]
    return allowed


# --- The request --------------------------------------------------------------------------------------------------


@dataclass
class Spec:
    """What to compute: metrics, a grouping, filters and a period, for a department subtree."""

    metrics: list[str]
    grouping: str
    period: Period
    department: Department | None = None  # None: every department the user may see (administrators: all)
    filters: dict[str, Any] = field(default_factory=dict)
    sort_by: str = ""
    title: str = ""
    limit: int | None = None


def validate(spec: Spec, user: User | None = None) -> None:
    """Raise ValidationError naming the field: unknown metric, grouping or filter, a metric that cannot be
    grouped or filtered that way, a department the user cannot see."""
    errors: dict[str, str] = {}
    if not spec.metrics:
        errors["metrics"] = f"Choose at least one metric: {', '.join(METRICS)}."
    unknown = [m for m in spec.metrics if m not in METRICS]
    if unknown:
        errors["metrics"] = f"Unknown metric {', '.join(map(repr, unknown))}: choose from {', '.join(METRICS)}."
    if spec.grouping not in GROUPINGS:
        errors["grouping"] = f"Unknown grouping {spec.grouping!r}: choose one of {', '.join(GROUPINGS)}."
    elif not unknown:
        for key in spec.metrics:
            allowed = metric_groupings(METRICS[key])
            if spec.grouping not in allowed:
                errors["grouping"] = (
                    f"{METRICS[key].label} ({key}) cannot be grouped by {spec.grouping}: it comes from "
                    f"{' and '.join(SOURCE_NAMES[s] for s in METRICS[key].sources)}. Group it by "
                    f"{', '.join(g for g in GROUPINGS if g in allowed)}."
                )
                break
    bad_filters = [f for f in spec.filters if f not in FILTERS]
    if bad_filters:
        errors["filters"] = f"Unknown filter {', '.join(map(repr, bad_filters))}: use {', '.join(sorted(FILTERS))}."
    elif not unknown:
        for name, value in spec.filters.items():
            if value in (None, "", []):
                continue
            for key in spec.metrics:
                if not all(name in SOURCE_FILTERS[s] for s in METRICS[key].sources):
                    errors[name] = f"{METRICS[key].label} ({key}) cannot be filtered by {name}: remove the filter."
    if spec.sort_by and spec.sort_by not in spec.metrics:
        errors["sort_by"] = f"Rank by one of the chosen metrics ({', '.join(spec.metrics)}), not {spec.sort_by!r}."
    if (
        user is not None
        and spec.department is not None
        and not visible_departments(user).filter(pk=spec.department.pk).exists()
    ):
        errors["department"] = f"You cannot see the department {spec.department}: choose your own or one below it."
    if errors:
        raise ValidationError(errors)


# --- Reading the rollups ---------------------------------------------------------------------------------------


def _scope_q(spec: Spec, user: User | None, prefix: str = "department", ids: list[int] | None = None) -> Q:
    """The rows of the spec's department subtree (else the user's). With the subtree's ids at hand (the context
    has them), a plain IN on the rollup's own column spares the join to the departments."""
    if ids is not None:
        return Q(**{f"{prefix}_id__in": ids})
    if spec.department is not None:
        return Q(**{f"{prefix}__path__startswith": spec.department.path})
    if user is None or user.is_admin:
        return Q()
    if user.department_id is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}__path__startswith": user.department.path})


def _filter_q(spec: Spec, source: str) -> Q:
    q = Q()
    f = spec.filters
    if f.get("site") and source in ("charging", "site"):
        q &= Q(site_id__in=_ids(f["site"]))
    if f.get("vehicle") and source in ("charging", "usage"):
        q &= Q(vehicle_id__in=_ids(f["vehicle"]))
    if f.get("vehicle_model") and source in ("charging", "usage"):
        q &= Q(vehicle_model_id__in=_ids(f["vehicle_model"]))
    if f.get("vehicle_class") and source in ("charging", "usage"):
        classes = f["vehicle_class"] if isinstance(f["vehicle_class"], list) else [f["vehicle_class"]]
        q &= Q(vehicle_model__vehicle_class__in=classes)
    return q


def _ids(value) -> list[int]:
    values = value if isinstance(value, list | tuple) else [value]
    return [int(v) for v in values]


# The finest key each grouping needs from the database; coarser ones are folded from it.
BASE_KEY = {
    "total": None,
    "vehicle": "vehicle_id",
    "vehicle_model": "vehicle_model_id",
    "vehicle_class": "vehicle_model_id",
    "department": "department_id",
    "site": "site_id",
    "day": "day",
    "week": "day",
    "month": "day",
}


def source_rows(
    source: str, spec: Spec, user: User | None, keys: list[str], ids: list[int] | None = None
) -> list[dict]:
    """One aggregate query over a source's rollup for the period, grouped by `keys`."""
    first, last = spec.period.first, spec.period.last
    # without single vehicles, the per-group rollups hold the same sums in far fewer rows
    coarse = "vehicle_id" not in keys and not spec.filters.get("vehicle")
    if source == "charging":
        qs = (ChargingGroupDay if coarse else ChargingDay).objects.filter(
            _scope_q(spec, user, ids=ids), _filter_q(spec, source), day__gte=first, day__lte=last
        )
        sums = dict(
            n_sessions=Sum("sessions"),
            sum_energy=Sum("energy_kwh"),
            sum_cost=Sum("cost_total"),
            sum_emissions=Sum("emissions_kg"),
            sum_renewable=Sum("renewable_kwh"),
        )
        keys = [*keys, "currency"]
    elif source == "usage":
        qs = (UsageGroupDay if coarse else VehicleDay).objects.filter(
            _scope_q(spec, user, ids=ids), _filter_q(spec, source), day__gte=first, day__lte=last
        )
        sums = dict(sum_distance=Sum("distance_km"), sum_consumed=Sum("energy_consumed_kwh"))
        if "vehicle_model_id" not in keys:  # the combustion baseline depends on the class
            keys = [*keys, "vehicle_model_id"]
    elif source == "site":
        qs = SiteDay.objects.filter(
            _scope_q(spec, user, ids=ids), _filter_q(spec, source), day__gte=first, day__lte=last
        )
        share = ExpressionWrapper(F("peak_kw") * 100.0 / NullIf(F("grid_limit_kw"), 0.0), output_field=FloatField())
        sums = dict(
            sum_occupied=Sum("occupied_hours"),
            sum_available=Sum("available_hours"),
            sum_hours=Sum("total_hours"),
            max_peak=Max("peak_kw"),
            max_share=Max(share, filter=Q(grid_limit_kw__gt=0)),
        )
    else:  # offsets
        qs = CarbonOffset.objects.filter(_scope_q(spec, user, ids=ids), retired_on__gte=first, retired_on__lte=last)
        sums = dict(sum_offsets=Sum("quantity_t_co2e"))
        keys = ["retired_on" if k == "day" else k for k in keys]
    rows = list(qs.values(*keys).annotate(**sums).order_by()) if keys else [qs.aggregate(**sums)]
    if source == "offsets":
        for row in rows:
            if "retired_on" in row:
                row["day"] = row.pop("retired_on")
    return rows


# --- Folding rows into groups -------------------------------------------------------------------------------


@dataclass
class Parts:
    """The summable parts a group's metrics derive from."""

    sessions: int = 0
    energy_kwh: float = 0.0
    cost: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    emissions_kg: float = 0.0
    renewable_kwh: float = 0.0
    distance_km: float = 0.0
    consumed_kwh: float = 0.0
    ice_kg: float = 0.0
    occupied_h: float = 0.0
    available_h: float = 0.0
    total_h: float = 0.0
    peak_kw: float | None = None
    peak_share: float | None = None
    offsets_kg: float = 0.0

    def add(self, other: "Parts") -> None:
        self.sessions += other.sessions
        self.energy_kwh += other.energy_kwh
        self.emissions_kg += other.emissions_kg
        self.renewable_kwh += other.renewable_kwh
        self.distance_km += other.distance_km
        self.consumed_kwh += other.consumed_kwh
        self.ice_kg += other.ice_kg
        self.occupied_h += other.occupied_h
        self.available_h += other.available_h
        self.total_h += other.total_h
        self.offsets_kg += other.offsets_kg
        for currency, amount in other.cost.items():
            self.cost[currency] += amount
        if other.peak_kw is not None:
            self.peak_kw = other.peak_kw if self.peak_kw is None else max(self.peak_kw, other.peak_kw)
        if other.peak_share is not None:
            self.peak_share = other.peak_share if self.peak_share is None else max(self.peak_share, other.peak_share)


@dataclass
class Context:
    """What folding needs besides the rows: the department tree, the models' classes, the baselines."""

    departments: dict[int, Department]
    root_children: list[Department]
    root: Department | None
    model_class: dict[int, str]
    baseline_g_per_km: dict[str, float]


def load_context(spec: Spec, user: User | None) -> Context:
    if spec.department is not None:
        departments = Department.objects.filter(path__startswith=spec.department.path)
    elif user is not None:
        departments = visible_departments(user)
    else:
        departments = Department.objects.all()
    departments = {d.pk: d for d in departments.only("pk", "name", "path", "parent_id")}
    if spec.department is not None:
        root = departments.get(spec.department.pk)
    else:  # the shallowest visible departments are the roots; with one of them, group by its children
        tops = [d for d in departments.values() if d.parent_id not in departments]
        root = tops[0] if len(tops) == 1 else None
    if root is not None:
        children = [d for d in departments.values() if d.parent_id == root.pk]
    else:
        children = [d for d in departments.values() if d.parent_id not in departments]
    model_class = dict(VehicleModel.objects.values_list("pk", "vehicle_class"))
    baseline = {b.vehicle_class: b.g_per_km for b in IceBaseline.objects.all()}
    return Context(departments, sorted(children, key=lambda d: d.name), root, model_class, baseline)


def _department_key(context: Context, department_id: int | None):
    department = context.departments.get(department_id)
    if department is None:
        return None
    for child in context.root_children:
        if department.path.startswith(child.path):
            return child.pk
    return department.pk  # the root itself (its own vehicles and sites)


def _time_key(grouping: str, day: date) -> date:
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def group_key(grouping: str, row: dict, context: Context):
    if grouping == "total":
        return "total"
    if grouping == "vehicle_class":
        return context.model_class.get(row.get("vehicle_model_id"))
    if grouping == "department":
        return _department_key(context, row.get("department_id"))
    if grouping in TIME_GROUPINGS:
        return _time_key(grouping, row["day"])
    return row.get(BASE_KEY[grouping])


def compute_parts(spec: Spec, user: User | None, context: Context, groupings: list[str] | None = None):
    """Run the queries the metrics need (one per source, grouped by every key the groupings need) and fold
    their rows into Parts per group of each grouping: {grouping: {key: Parts}}."""
    groupings = groupings or [spec.grouping]
    sources = {s for key in spec.metrics for s in METRICS[key].sources}
    keys = sorted({BASE_KEY[g] for g in groupings if BASE_KEY[g]})
    folded: dict[str, dict[Any, Parts]] = {g: defaultdict(Parts) for g in groupings}
    for source in sorted(sources):
        source_keys = [k for k in keys if k in SOURCE_KEYS[source]]
        for row in source_rows(source, spec, user, source_keys, list(context.departments)):
            parts = Parts()
            if source == "charging":
                parts.sessions = row["n_sessions"] or 0
                parts.energy_kwh = row["sum_energy"] or 0.0
                if row["sum_cost"] is not None and row.get("currency"):
                    parts.cost[row["currency"]] += Decimal(row["sum_cost"])
                parts.emissions_kg = row["sum_emissions"] or 0.0
                parts.renewable_kwh = row["sum_renewable"] or 0.0
            elif source == "usage":
                parts.distance_km = row["sum_distance"] or 0.0
                parts.consumed_kwh = row["sum_consumed"] or 0.0
                vehicle_class = context.model_class.get(row.get("vehicle_model_id"))
                parts.ice_kg = parts.distance_km * context.baseline_g_per_km.get(vehicle_class, 0.0) / 1000.0
            elif source == "site":
                parts.occupied_h = row["sum_occupied"] or 0.0
                parts.available_h = row["sum_available"] or 0.0
                parts.total_h = row["sum_hours"] or 0.0
                parts.peak_kw = row["max_peak"]
                parts.peak_share = row["max_share"]
            else:
                parts.offsets_kg = float(row["sum_offsets"] or 0) * 1000.0
            for grouping in groupings:
                folded[grouping][group_key(grouping, row, context)].add(parts)
    return folded


def main_currency(groups: dict[Any, Parts]) -> tuple[str, dict[str, Decimal]]:
    """The currency most of the cost is in, and what was spent in the others (reported, not converted)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for parts in groups.values():
        for currency, amount in parts.cost.items():
            totals[currency] += amount
    if not totals:
        return "", {}
    main = max(totals, key=lambda c: totals[c])
    return main, {c: a for c, a in totals.items() if c != main}


def _money(amount: Decimal | None, currency: str, extra_places: int = 0) -> Decimal | None:
    if amount is None:
        return None
    places = currency_minor_units(currency) if currency else 2
    return Decimal(amount).quantize(Decimal(1).scaleb(-(places + extra_places)))


def derive(parts: Parts, currency: str) -> dict[str, Any]:
    """Every metric from a group's parts (rounded as its column shows it)."""
    cost = parts.cost.get(currency, Decimal(0)) if currency else Decimal(0)
    distance = parts.distance_km
    values: dict[str, Any] = {
        "sessions": parts.sessions,
        "energy_charged_kwh": parts.energy_kwh,
        "energy_consumed_kwh": parts.consumed_kwh,
        "distance_km": distance,
        "cost": _money(cost, currency),
        "cost_per_km": _money(cost / Decimal(str(distance)), currency, 1) if distance > 0 else None,
        "efficiency_kwh_per_100km": parts.consumed_kwh / distance * 100.0 if distance > 0 else None,
        "connector_utilization_percent": parts.occupied_h / parts.total_h * 100.0 if parts.total_h > 0 else None,
        "connector_availability_percent": parts.available_h / parts.total_h * 100.0 if parts.total_h > 0 else None,
        "peak_demand_kw": parts.peak_kw,
        "peak_of_grid_limit_percent": parts.peak_share,
        "charging_emissions_kg": parts.emissions_kg,
        "renewable_share_percent": parts.renewable_kwh / parts.energy_kwh * 100.0 if parts.energy_kwh > 0 else None,
        "ice_baseline_kg": parts.ice_kg,
        "avoided_emissions_kg": parts.ice_kg - parts.emissions_kg,
        "gco2e_per_km": parts.emissions_kg * 1000.0 / distance if distance > 0 else None,
        "offsets_kg": parts.offsets_kg,
        "net_emissions_kg": parts.emissions_kg - parts.offsets_kg,
    }
    for key, metric in METRICS.items():
        value = values[key]
        if value is not None and metric.kind in ("number", "percent"):
            values[key] = round(float(value), metric.decimals)
    return values


# --- Labels ----------------------------------------------------------------------------------------------------


def vehicle_label(fleet_number: str, plate: str, vin: str) -> str:
    return fleet_number or plate or vin


def labels(grouping: str, keys: list, context: Context) -> dict[Any, str]:
    """A label per group key (one query for vehicles, models or sites)."""
    present = [k for k in keys if k is not None]
    if grouping == "total":
        return {"total": "Total"}
    if grouping == "vehicle":
        rows = Vehicle.objects.filter(pk__in=present).values_list("pk", "fleet_number", "license_plate", "vin")
        found = {pk: vehicle_label(f, p, v) for pk, f, p, v in rows}
        return {k: found.get(k, "Unknown vehicle") for k in keys}
    if grouping == "vehicle_model":
        found = {m.pk: str(m) for m in VehicleModel.objects.filter(pk__in=present)}
        return {k: found.get(k, "Unknown model") for k in keys}
    if grouping == "vehicle_class":
        names = dict(VehicleModel.VehicleClass.choices)
        return {k: names.get(k, "Unknown class") for k in keys}
    if grouping == "department":
        return {k: context.departments[k].name if k in context.departments else "Other" for k in keys}
    if grouping == "site":
        found = dict(Site.objects.filter(pk__in=present).values_list("pk", "name"))
        return {k: found.get(k, "Unknown site") for k in keys}
    if grouping == "week":
        return {k: f"{k:%G-W%V}" for k in keys}
    if grouping == "month":
        return {k: f"{k:%Y-%m}" for k in keys}
    return {k: k.isoformat() for k in keys}


def time_keys(grouping: str, period: Period) -> list[date]:
    keys, day = [], period.first
    while day <= period.last:
        key = _time_key(grouping, day)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += timedelta(days=1)
    return keys


# --- The report -------------------------------------------------------------------------------------------------


def compute(spec: Spec, user: User | None = None) -> ReportResult:
    """Validate the spec and compute its table, totals, charts and notes."""
    validate(spec, user)
    context = load_context(spec, user)
    groups = compute_parts(spec, user, context)[spec.grouping]
    currency, other_currencies = main_currency(groups)
    if spec.grouping in TIME_GROUPINGS:
        keys = time_keys(spec.grouping, spec.period)
    elif spec.grouping == "total":
        keys = ["total"]
    else:
        keys = list(groups)
    names = labels(spec.grouping, keys, context)
    rows = []
    total_parts = Parts()
    for key in keys:
        parts = groups.get(key, Parts())
        total_parts.add(parts)
        values = derive(parts, currency)
        row = {"key": _json_key(key), "label": names.get(key, str(key))}
        row.update({m: values[m] for m in spec.metrics})
        rows.append(row)
    if spec.sort_by:
        metric = METRICS[spec.sort_by]
        present = [r for r in rows if r[spec.sort_by] is not None]
        missing = [r for r in rows if r[spec.sort_by] is None]
        present.sort(key=lambda r: r[spec.sort_by], reverse=metric.key != "efficiency_kwh_per_100km")
        rows = present + missing
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
    elif spec.grouping not in TIME_GROUPINGS:
        rows.sort(key=lambda r: str(r["label"]).lower())
    if spec.limit is not None:
        rows = rows[: spec.limit]
    totals = {"label": "Total", **{m: v for m, v in derive(total_parts, currency).items() if m in spec.metrics}}
    columns = [Column("label", GROUPINGS[spec.grouping], kind="text")]
    if spec.sort_by:
        columns.insert(0, Column("rank", "Rank", kind="integer", decimals=0))
    columns += [METRICS[m].column(currency) for m in spec.metrics]
    notes = []
    if other_currencies:
        spent = ", ".join(f"{_money(a, c)} {c}" for c, a in sorted(other_currencies.items()))
        notes.append(f"Costs are in {currency}; sessions priced in other currencies are left out of them ({spent}).")
    scope = (
        spec.department.name
        if spec.department
        else (context.root.name if context.root is not None else "All departments")
    )
    zone = report_time_zone(spec, user)
    result = ReportResult(
        title=spec.title or _title(spec),
        scope=scope,
        period_start=spec.period.first,
        period_end=spec.period.last,
        grouping=spec.grouping,
        columns=columns,
        rows=rows,
        totals=totals if spec.grouping != "total" else {},
        currency=currency,
        notes=notes,
        generated_at=timezone.now().astimezone(ZoneInfo(zone)),
        time_zone=zone,
    )
    result.charts = default_charts(result, spec)
    return result


def report_time_zone(spec: Spec, user: User | None) -> str:
    """The zone a report's local days are in: its department's, else the user's department's, else the site's."""
    if spec.department is not None:
        return spec.department.time_zone
    if user is not None and user.department_id is not None:
        return user.department.time_zone
    return timezone.get_current_timezone_name()


def _json_key(key):
    return key.isoformat() if isinstance(key, date) else key


def _title(spec: Spec) -> str:
    names = ", ".join(METRICS[m].label.lower() for m in spec.metrics[:3])
    more = f" and {len(spec.metrics) - 3} more" if len(spec.metrics) > 3 else ""
    return f"{names[:1].upper()}{names[1:]}{more} by {GROUPINGS[spec.grouping].lower()}"


def default_charts(result: ReportResult, spec: Spec) -> list[Chart]:
    """One chart per metric (up to three): a line over time, or bars per group."""
    if spec.grouping == "total" or not result.rows:
        return []
    charts = []
    kind = "line" if spec.grouping in TIME_GROUPINGS else "bar"
    rows = result.rows if kind == "line" else result.rows[:25]
    for key in spec.metrics[:3]:
        column = next(c for c in result.columns if c.key == key)
        values = [float(r[key]) if r[key] is not None else None for r in rows]
        title = column.heading + (
            "" if len(rows) == len(result.rows) else f" (first {len(rows)} of {len(result.rows)})"
        )
        charts.append(Chart(title, kind, [str(r["label"]) for r in rows], [Series(column.label, values)], column.unit))
    return charts
