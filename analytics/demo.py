"""Demo history for the analytics pages: eight weeks of priced overnight charging at the demo depots, the grid's
hourly carbon intensity, offset certificates, a scheduled report, the connectors' status over the weeks, and the
rollups over all of it.

Idempotent: sessions are recognised by their DEMO- transaction ids, intensities by their hour; running it again
adds only what is missing. Costs come from the real pricing engine (the sites' tariffs and the customers'
contracts), so the figures agree with the pricing pages.
"""

import math
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import Department, User
from analytics.models import CarbonIntensity, CarbonOffset, CarbonZone, SavedReport
from analytics.rollup import rollup_range
from charging.models import ChargingSession
from fleet.demo import HISTORY_DAYS
from fleet.models import Vehicle
from pricing.services import PricingError, quote
from stations import selectors as station_selectors
from stations.models import Connector, ConnectorStatusChange, Site

# which depot's site a team charges at
HOME_SITE = {
    "Depot Berlin-Nord": "Berlin-Nord depot",
    "Executive Pool": "Executive Pool garage",  # its own (issue 17: a depot charges its own fleet only)
    "Depot Berlin-Süd": "Berlin-Süd depot",
    "Field Service": "Field Service yard",
    "Brooklyn Yard": "Brooklyn yard",
}
ZONE_OF_SITE = {"Brooklyn yard": "US-NY-NYIS"}  # the Berlin sites are in DE
ENERGY_KWH = {"car": (24, 46), "van": (38, 68), "truck": (120, 200), "bus": (150, 250)}  # kWh per night


def _zones() -> None:
    CarbonZone.objects.get_or_create(
        code="US-NY-NYIS", defaults={"name": "New York (NYISO)", "gco2e_per_kwh": 240.0, "renewable_percent": 31.0}
    )
    for site in Site.objects.filter(name__in=HOME_SITE.values(), carbon_zone__isnull=True):
        site.carbon_zone = CarbonZone.objects.get(code=ZONE_OF_SITE.get(site.name, "DE"))
        site.save(update_fields=["carbon_zone"])


def _intensities(start: datetime, end: datetime) -> int:
    """Germany's grid, hour by hour: cleaner at midday (solar) and on windy days, dirtier in the evening peak."""
    zone = CarbonZone.objects.get(code="DE")
    have = set(CarbonIntensity.objects.filter(zone=zone, hour_start__gte=start).values_list("hour_start", flat=True))
    rows, hour = [], start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        if hour not in have:
            local = hour.astimezone(ZoneInfo("Europe/Berlin"))
            solar = max(0.0, math.sin(math.pi * (local.hour - 6) / 12)) if 6 <= local.hour <= 18 else 0.0
            wind = 0.5 + 0.5 * math.sin(hour.timestamp() / 86400 / 2.7)
            grams = 520 - 170 * solar - 150 * wind + (40 if 17 <= local.hour <= 20 else 0)
            renewable = min(95.0, 30 + 35 * solar + 30 * wind)
            rows.append(
                CarbonIntensity(
                    zone=zone, hour_start=hour, gco2e_per_kwh=round(grams, 1), renewable_percent=round(renewable, 1)
                )
            )
        hour += timedelta(hours=1)
    CarbonIntensity.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _sessions(rng: random.Random, first: date, last: date, now: datetime) -> int:
    """Overnight sessions from the history's first to its last day, on free compatible connectors; a session queued
    so late that it would still run at `now` is left out (every one of them is completed)."""
    sites = {s.name: s for s in Site.objects.filter(name__in=HOME_SITE.values())}
    connectors = {
        name: list(Connector.objects.filter(charge_point__site=site).select_related("charge_point").order_by("pk"))
        for name, site in sites.items()
    }
    vehicles = list(
        Vehicle.objects.filter(department__name__in=HOME_SITE)
        .exclude(status=Vehicle.Status.RETIRED)
        .select_related("vehicle_model", "department", "customer")
        .order_by("pk")
    )
    existing = set(
        ChargingSession.objects.filter(transaction_id__startswith="DEMO-").values_list("transaction_id", flat=True)
    )
    rules = station_selectors.active_rules()
    fits = {}
    for vehicle in vehicles:
        for connector in connectors[HOME_SITE[vehicle.department.name]]:
            fit = station_selectors.vehicle_fit(vehicle, connector, rules)
            if fit is not None:
                fits[(vehicle.pk, connector.pk)] = fit.power_kw
    busy_until: dict[int, datetime] = {}
    made = []
    day = first
    while day <= last:
        for vehicle in vehicles:
            transaction_id = f"DEMO-{vehicle.pk}-{day:%Y%m%d}"
            weekend = day.weekday() >= 5
            if rng.random() > (0.35 if weekend else 0.9):
                continue
            site_name = HOME_SITE[vehicle.department.name]
            zone = ZoneInfo(sites[site_name].time_zone)
            arrive = datetime.combine(day, time(16, 30), tzinfo=zone) + timedelta(minutes=rng.randint(0, 210))
            low, high = ENERGY_KWH.get(vehicle.vehicle_model.vehicle_class, (20, 40))
            energy = Decimal(str(round(rng.uniform(low, high) * (0.7 if weekend else 1.0), 2)))
            big = vehicle.vehicle_model.vehicle_class in ("truck", "bus")
            options = [c for c in connectors[site_name] if (vehicle.pk, c.pk) in fits]
            options.sort(key=lambda c: (c.current_type == Connector.CurrentType.DC) != big)  # AC overnight, DC big
            if not options:
                continue
            connector = min(options, key=lambda c: max(busy_until.get(c.pk, arrive), arrive))
            start = max(busy_until.get(connector.pk, arrive), arrive)
            power = fits[(vehicle.pk, connector.pk)]
            charging = timedelta(hours=float(energy / power))
            end = start + charging + timedelta(minutes=rng.randint(5, 50))
            if end > now:
                continue
            busy_until[connector.pk] = end
            if transaction_id in existing:
                continue
            try:
                priced = quote(
                    connector=connector,
                    start=start,
                    customer=vehicle.customer,
                    energy_kwh=energy,
                    duration=end - start,
                    power_kw=power,
                )
                price, version = priced.result, priced.version
                cost, excl, currency = price.total, price.total_excl_tax, price.currency
            except PricingError:  # a site without a tariff: the session stays unpriced
                cost = excl = version = None
                currency = ""
            made.append(
                ChargingSession(
                    charge_point=connector.charge_point,
                    connector=connector,
                    transaction_id=transaction_id,
                    id_tag=f"RFID-{vehicle.fleet_number}",
                    vehicle=vehicle,
                    vehicle_department_id=vehicle.department_id,
                    status=ChargingSession.Status.COMPLETED,
                    started_at=start,
                    ended_at=end,
                    meter_start_wh=0.0,
                    meter_last_wh=float(energy) * 1000,
                    last_meter_at=start + charging,
                    energy_kwh=float(energy),
                    stop_reason="EVDisconnected",
                    customer=vehicle.customer,
                    currency=currency,
                    cost_total=cost,
                    tariff_version=version,
                    cost_excl_tax=excl,
                    cost_tax=(cost - excl) if cost is not None else None,
                    priced_at=timezone.now() if cost is not None else None,
                )
            )
        day += timedelta(days=1)
    ChargingSession.objects.bulk_create(made, batch_size=1000)
    return len(made)


def _offsets(departments: dict[str, Department], today: date) -> None:
    root = departments["Northwind Logistics"]
    for serial, quantity, days_ago in (
        ("VCS-1234-2025-0001-0500", "2.500", 40),
        ("GS-7781-2024-0100-0180", "1.200", 12),
    ):
        CarbonOffset.objects.get_or_create(
            serial_number=serial,
            defaults={
                "department": root,
                "registry": "Verra (VCS)" if serial.startswith("VCS") else "Gold Standard",
                "project": "Wind farm, Tamil Nadu" if serial.startswith("VCS") else "Clean cookstoves, Rwanda",
                "quantity_t_co2e": Decimal(quantity),
                "vintage": 2024,
                "retired_on": today - timedelta(days=days_ago),
                "price_total": Decimal("18.50") * Decimal(quantity),
                "currency": "EUR",
            },
        )


def _saved_report(departments: dict[str, Department]) -> None:
    from analytics import services

    manager = User.objects.filter(username="manager").first()
    if manager is None or SavedReport.objects.filter(name="Monthly energy and cost by vehicle").exists():
        return
    services.saved_report_save(
        actor=manager,
        name="Monthly energy and cost by vehicle",
        department=departments["Northwind Logistics"],
        metrics=["energy_charged_kwh", "cost", "distance_km", "cost_per_km", "efficiency_kwh_per_100km", "sessions"],
        grouping="vehicle",
        period="last_month",
        sort_by="energy_charged_kwh",
        schedule="monthly",
        send_at_hour=7,
        format="pdf",
        recipients="",
    )
    services.saved_report_save(
        actor=manager,
        name="Emissions reduction by month",
        department=departments["Northwind Logistics"],
        metrics=[
            "distance_km",
            "energy_charged_kwh",
            "charging_emissions_kg",
            "ice_baseline_kg",
            "avoided_emissions_kg",
            "renewable_share_percent",
            "offsets_kg",
            "net_emissions_kg",
        ],
        grouping="month",
        period="last_90_days",
        schedule="",
        format="pdf",
    )


def _departures(now: datetime) -> int:
    """Tomorrow's early departures of a few vehicles low on charge, booked for too short a window: the dashboard's
    vehicles at risk."""
    from django.core.exceptions import ValidationError

    from charging.models import Reservation
    from charging.services.reservations import reservation_request

    made = 0
    candidates = Vehicle.objects.filter(
        department__name__in=["Depot Berlin-Nord", "Depot Berlin-Süd"], status=Vehicle.Status.ACTIVE, soc_percent__lt=40
    ).order_by("soc_percent")[:3]
    for index, vehicle in enumerate(candidates):
        if Reservation.objects.filter(vehicle=vehicle, departure_at__gt=now).exists():
            continue
        site = Site.objects.get(name=HOME_SITE[vehicle.department.name])
        zone = ZoneInfo(site.time_zone)
        tomorrow = (now.astimezone(zone) + timedelta(days=1)).date()
        starts = datetime.combine(tomorrow, time(4, 30 + 5 * index), tzinfo=zone)
        try:
            reservation_request(
                actor=None,
                vehicle=vehicle,
                site=site,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=20),
                departure_at=starts + timedelta(hours=1),
            )
        except ValidationError:
            continue
        made += 1
    return made


def _status_history(since: datetime, now: datetime) -> int:
    """The depots' connectors were in service through the history (Available from its start) and are offline now
    (Unknown) until a simulator connects their station: a connector without a status counts as not available."""
    quiet = list(Connector.objects.filter(charge_point__site__name__in=HOME_SITE.values(), status_history=None))
    ConnectorStatusChange.objects.bulk_create(
        ConnectorStatusChange(connector=connector, status=status, changed_at=moment)
        for connector in quiet
        for status, moment in ((Connector.Status.AVAILABLE, since), (Connector.Status.UNKNOWN, now))
    )
    return len(quiet)


def build_demo_analytics(departments: dict[str, Department], *, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    now = timezone.now()
    today = now.date()
    first = today - timedelta(days=HISTORY_DAYS)
    with transaction.atomic():
        _zones()
        hours = _intensities(datetime.combine(first - timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC")), now)
        sessions = _sessions(rng, first, today - timedelta(days=1), now)
        _offsets(departments, today)
        _saved_report(departments)
        _status_history(datetime.combine(first - timedelta(days=2), time.min, tzinfo=ZoneInfo("UTC")), now)
    _departures(now)
    summary = rollup_range(first - timedelta(days=1), today + timedelta(days=1), now=now)
    return {"sessions": sessions, "carbon_hours": hours, **summary}
