"""Demo pricing: a tariff per demo depot, holiday calendars, load-based pricing at the busiest depot, two
fleet customers with contracts. Idempotent: what exists is kept."""

from datetime import UTC, datetime
from decimal import Decimal

from accounts.models import Department
from fleet.models import Vehicle
from pricing import services
from pricing.models import Contract, Customer, HolidayCalendar, LoadPricing, Tariff
from stations.models import Site

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def _energy(price: str, **restrictions) -> dict:
    element = {"price_components": [{"type": "ENERGY", "price": price}]}
    if restrictions:
        element["restrictions"] = restrictions
    return element


BERLIN = [
    _energy("0.24", start_time="22:00", end_time="06:00"),
    _energy("0.29", day_of_week=["SATURDAY", "SUNDAY"]),
    # An idle fee: parking is charged only once the vehicle has been connected for 4 hours.
    {
        "price_components": [{"type": "PARKING_TIME", "price": "6.00", "step_size": 300}],
        "restrictions": {"min_duration": 4 * 3600},
    },
    _energy("0.36"),
]
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
NEW_YORK = [
    _energy("0.34", start_time="16:00", end_time="21:00", day_of_week=WEEKDAYS),
    {"price_components": [{"type": "ENERGY", "price": "0.19"}, {"type": "FLAT", "price": "1.00"}]},
]


def build_demo_pricing(departments: dict[str, Department]) -> int:
    """Returns the number of tariffs."""
    berlin, _ = HolidayCalendar.objects.get_or_create(name="Berlin", defaults={"country": "DE", "subdivision": "BE"})
    new_york, _ = HolidayCalendar.objects.get_or_create(
        name="New York", defaults={"country": "US", "subdivision": "NY"}
    )
    for site in Site.objects.filter(department__in=departments.values(), tariffs__isnull=True):
        american = site.time_zone.startswith("America/")
        if site.holiday_calendar_id is None:
            site.holiday_calendar = new_york if american else berlin
            site.save(update_fields=["holiday_calendar"])
        services.tariff_create(
            actor=None,
            name=f"{site.name} standard",
            department=site.department,
            currency="USD" if american else "EUR",
            site=site,
            valid_from=SINCE,
            tax_percent=Decimal("8.875") if american else Decimal("19"),
            elements=NEW_YORK if american else BERLIN,
            note="demo prices",
        )
    busiest = Site.objects.filter(name="Berlin-Nord depot").first()
    if busiest is not None and not LoadPricing.objects.filter(site=busiest).exists():
        LoadPricing.objects.create(
            site=busiest,
            curve=[["0", "0.90"], ["50", "1.00"], ["80", "1.25"], ["100", "1.60"]],
            floor_price=Decimal("0.20"),
            cap_price=Decimal("0.55"),
        )
    nord, field = departments.get("Depot Berlin-Nord"), departments.get("Field Service")
    if nord is not None and not Customer.objects.filter(department=nord, name="Stadtwerke Logistik GmbH").exists():
        customer = services.customer_create(
            actor=None, name="Stadtwerke Logistik GmbH", department=nord, billing_email="billing@example.com"
        )
        services.contract_create(
            actor=None, customer=customer, name="Framework 2026", kind=Contract.Kind.DISCOUNT,
            valid_from=SINCE, discount_percent=Decimal("12"),
        )  # fmt: skip
        Vehicle.objects.filter(pk__in=Vehicle.objects.filter(department=nord).values("pk")[:6]).update(
            customer=customer
        )
    if field is not None and not Customer.objects.filter(department=field, name="Field Service (internal)").exists():
        internal = services.customer_create(
            actor=None, name="Field Service (internal)", kind=Customer.Kind.INTERNAL, department=field,
            billed_department=field,
        )  # fmt: skip
        services.contract_create(
            actor=None, customer=internal, name="Internal rate", kind=Contract.Kind.ENERGY_PRICE,
            valid_from=SINCE, energy_price=Decimal("0.22"),
        )  # fmt: skip
        Vehicle.objects.filter(department=field).update(customer=internal)
    return Tariff.objects.count()
