"""Read side of pricing: tariffs, customers and contracts scoped by the user, and what prices a connector when."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from accounts.scoping import scoped
from pricing.models import (
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
