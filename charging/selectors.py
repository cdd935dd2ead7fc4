"""Read side of charging: sessions, tariffs, customers and what prices a connector, scoped by the user."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Sum, Value, When

from accounts.models import User
from accounts.scoping import scoped
from charging.models import (
    ChargingSession,
    Contract,
    Customer,
    GridSignal,
    HolidayCalendar,
    LoadPricing,
    PriceInterval,
    Tariff,
    TariffVersion,
)
from stations.models import Connector, Site


def tariff_list(*, user: User) -> QuerySet[Tariff]:
    latest = TariffVersion.objects.order_by("-valid_from")
    return scoped(
        Tariff.objects.select_related("department", "site", "charge_point", "connector__charge_point").prefetch_related(
            Prefetch("versions", queryset=latest)
        ),
        user,
    )


def customer_list(*, user: User) -> QuerySet[Customer]:
    return scoped(Customer.objects.select_related("department", "billed_department"), user)


def contract_list(*, user: User) -> QuerySet[Contract]:
    return scoped(Contract.objects.select_related("customer", "tariff").prefetch_related("tiers"), user)


def session_visibility(queryset: QuerySet[ChargingSession], *, path: str | None) -> QuerySet[ChargingSession]:
    """What a viewer whose departments are the subtree at `path` (None: an administrator, who sees all) may see
    of each session: `vehicle_hidden`, the vehicle (or RFID token) belongs to a department outside theirs, so
    its id, VIN and tag are withheld (a host sees of a visiting vehicle only its fleet number or plate);
    `at_own_site`, the session is at one of their sites, so they may open the station and stop the session."""
    if path is None:
        return queryset.annotate(vehicle_hidden=Value(False), at_own_site=Value(True))
    return queryset.annotate(
        vehicle_hidden=Case(
            When(vehicle_department__isnull=True, then=Value(False)),
            When(vehicle_department__path__startswith=path, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        ),
        at_own_site=Case(
            When(charge_point__site__department__path__startswith=path, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def session_vehicle_label(session: ChargingSession) -> str | None:
    """How the reader of a `session_list` row sees its vehicle: fleet number, else plate, else (a vehicle of
    their departments) the VIN, else "a vehicle of <department>". None: no vehicle is known."""
    vehicle = session.vehicle
    if vehicle is None:
        return None
    if vehicle.fleet_number or vehicle.license_plate:
        return vehicle.fleet_number or vehicle.license_plate
    return f"a vehicle of {session.vehicle_department}" if session.vehicle_hidden else vehicle.vin


def session_vehicle_column(session: ChargingSession) -> str:
    """The vehicle column of a session export: the VIN of a vehicle of the reader's departments, else the label."""
    if session.vehicle_id is None:
        return ""
    return session.vehicle.vin if not session.vehicle_hidden else session_vehicle_label(session)


def session_list(*, user: User, owner_only: bool = False) -> QuerySet[ChargingSession]:
    """The sessions at the user's sites and, unless `owner_only` (what only the host may change), those of
    their vehicles at other departments' sites; annotated by `session_visibility`."""
    sessions = scoped(
        ChargingSession.objects.select_related(
            "charge_point__site", "connector", "vehicle", "vehicle_department", "customer", "tariff_version__tariff"
        ),
        user,
        owner_only=owner_only,
    )
    if getattr(user, "is_admin", False):
        return session_visibility(sessions, path=None)
    return session_visibility(sessions, path=user.department.path if user.department_id else "/none/")


def tariff_for_connector(connector: Connector, moment: datetime) -> Tariff | None:
    """The posted tariff of a connector at `moment`: its own, else its charge point's, else its site's, among
    those not expired by then. One query."""
    charge_point = connector.charge_point
    found = list(
        Tariff.objects.filter(
            Q(connector=connector) | Q(charge_point_id=charge_point.pk) | Q(site_id=charge_point.site_id)
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=moment))
    )
    for level in ("connector_id", "charge_point_id", "site_id"):
        for tariff in found:
            if getattr(tariff, level) is not None:
                return tariff
    return None


def tariff_site(tariff: Tariff) -> Site | None:
    """The site whose time zone and holidays a tariff's prices follow (None: a contracts-only tariff)."""
    if tariff.connector_id:
        return tariff.connector.charge_point.site
    if tariff.charge_point_id:
        return tariff.charge_point.site
    return tariff.site


def version_at(tariff: Tariff, moment: datetime) -> TariffVersion | None:
    return tariff.versions.filter(valid_from__lte=moment).order_by("-valid_from").first()


def contract_at(customer: Customer | None, moment: datetime) -> Contract | None:
    if customer is None:
        return None
    return (
        customer.contracts.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=moment), valid_from__lte=moment)
        .select_related("tariff")
        .prefetch_related("tiers")
        .order_by("-valid_from")
        .first()
    )


def customer_month_kwh(customer: Customer, *, before: datetime, time_zone: str) -> Decimal:
    """The customer's energy in the calendar month (site time) of `before`, from sessions started earlier."""
    local = before.astimezone(ZoneInfo(time_zone))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = ChargingSession.objects.filter(
        customer=customer, started_at__gte=month_start, started_at__lt=before
    ).aggregate(kwh=Sum("energy_kwh"))["kwh"]
    return Decimal(str(round(total or 0.0, 3)))


def holiday_dates(site: Site, start: datetime, end: datetime) -> tuple[frozenset, int]:
    calendar: HolidayCalendar | None = site.holiday_calendar
    if calendar is None:
        return frozenset(), 6
    years = list(range(start.year - 1, end.year + 2))
    extra = list(calendar.extra_days.values_list("date", flat=True))
    return calendar.dates(years, extra), calendar.priced_as


def load_pricing_of(site: Site) -> LoadPricing | None:
    return LoadPricing.objects.filter(site=site, is_active=True).first()


def price_intervals(site: Site, start: datetime, end: datetime) -> list[PriceInterval]:
    return list(PriceInterval.objects.filter(site=site, starts_at__lt=end, ends_at__gt=start).order_by("starts_at"))


def grid_signals(site: Site, start: datetime, end: datetime) -> list[GridSignal]:
    return list(
        GridSignal.objects.filter(site=site, starts_at__lt=end, ends_at__gt=start).order_by("starts_at", "-received_at")
    )


def interval_start(moment: datetime, minutes: int = 15) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor - timedelta(minutes=floor.minute % minutes)
