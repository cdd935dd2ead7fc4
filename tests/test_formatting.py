"""The formatting helpers and template filters every page, email, notification and PDF report uses."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone

from evfleet import formatting

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def render(source: str, **context) -> str:
    return Template("{% load formatting %}" + source).render(Context(context))


def test_money_is_rounded_to_the_currencys_minor_unit_with_thousands_separators():
    assert formatting.money(Decimal("0.36016284"), "EUR") == "0.36 €"
    assert formatting.money(Decimal("1234.5"), "EUR") == "1,234.50 €"
    assert formatting.money(Decimal("1234567.125"), "USD") == "1,234,567.13 $"
    assert formatting.money(Decimal("1234.5"), "JPY") == "1,235 ¥"
    assert formatting.money(Decimal("1.2345"), "KWD") == "1.235 KWD"
    assert formatting.money(None, "EUR") == "–"


def test_rounding_is_half_up_as_people_round_not_as_binary_floats_do():
    assert formatting.money(2.675, "EUR") == "2.68 €"
    assert formatting.money(Decimal("0.005"), "EUR") == "0.01 €"
    assert formatting.number(0.05, 1) == "0.1"
    assert formatting.number(-0.04, 1) == "0.0"


def test_unit_prices_show_the_currency_per_unit_and_their_own_decimals_up_to_four():
    assert formatting.unit_price(Decimal("0.2"), "EUR", "kWh") == "0.20 €/kWh"
    assert formatting.unit_price(Decimal("9.5"), "EUR", "kW") == "9.50 €/kW"
    assert formatting.unit_price(Decimal("0.2345"), "EUR", "kWh") == "0.2345 €/kWh"
    assert formatting.unit_price(Decimal("0.36016284"), "EUR", "kWh") == "0.3602 €/kWh"
    assert formatting.unit_price(Decimal("30"), "JPY", "kWh") == "30 ¥/kWh"


def test_energy_is_shown_to_a_tenth_of_a_kwh_with_its_unit():
    assert formatting.energy(Decimal("12345.678")) == "12,345.7 kWh"
    assert formatting.energy(0.04) == "0.0 kWh"
    assert formatting.power(22) == "22.0 kW"
    assert formatting.percent(45.5) == "46 %"


def test_distances_are_shown_in_the_departments_unit():
    assert formatting.distance(Decimal("16.09344"), "mi") == "10.0 mi"
    assert formatting.distance(Decimal("1609.344"), "km") == "1,609.3 km"
    assert formatting.per_km_to(Decimal("1"), "mi") == Decimal("1.609344")
    formatting.activate_distance_unit("mi")
    try:
        assert render("{{ km|distance }} {% distance_unit %}", km=160934.4) == "100,000.0 mi mi"
    finally:
        formatting.deactivate_distance_unit()
    assert render("{{ km|distance }}", km=160934.4) == "160,934.4 km"


def test_keys_read_as_labels():
    assert formatting.label("last_30_days") == "Last 30 days"
    assert formatting.label("energy_charged_kwh") == "Energy charged (kWh)"
    assert formatting.label("max_power_kw") == "Max power (kW)"
    assert formatting.label("share_percent") == "Share (%)"
    assert formatting.label("idTagInfo") == "ID tag info"
    assert formatting.readable({"status": "Accepted"}) == "Accepted"
    assert formatting.readable({"idTagInfo": {"status": "Blocked"}}) == "ID tag info: Blocked"


def test_local_times_name_their_zone_and_follow_its_daylight_saving_time():
    summer = datetime(2026, 6, 10, 12, 30, tzinfo=UTC)
    winter = datetime(2026, 1, 10, 12, 30, tzinfo=UTC)
    assert formatting.local(summer, BERLIN) == "2026-06-10 14:30 CEST"
    assert formatting.local(winter, BERLIN) == "2026-01-10 13:30 CET"
    assert formatting.local(summer, "America/New_York") == "2026-06-10 08:30 EDT"
    assert formatting.local(summer, "America/Sao_Paulo") == "2026-06-10 09:30 UTC-03"


def test_a_window_across_the_change_of_the_clocks_names_both_zones():
    # Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC
    start, end = datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert formatting.span(start, end, BERLIN) == "2026-10-25 02:00 CEST–03:00 CET"
    late = datetime(2026, 6, 10, 21, 0, tzinfo=UTC)
    assert formatting.span(late, late.replace(hour=23), BERLIN) == "2026-06-10 23:00–2026-06-11 01:00 CEST"


def test_template_filters_use_the_zone_of_the_page():
    moment = datetime(2026, 6, 10, 12, 30, tzinfo=UTC)
    with timezone.override(NEW_YORK):
        assert render("{{ t|when }}", t=moment) == "2026-06-10 08:30 EDT"
        assert render("{{ a|window:b }}", a=moment, b=moment.replace(hour=14)) == "2026-06-10 08:30–10:30 EDT"
    assert (
        render(
            "{{ c|money:'EUR' }} · {{ p|unit_price:'EUR/kWh' }} · {{ e|kwh }} · {{ n|num:2 }} · {{ k|label }}",
            c=Decimal("1234.5678"), p=Decimal("0.2"), e=12.34, n=1234.5, k="last_30_days",
        )
        == "1,234.57 € · 0.20 €/kWh · 12.3 kWh · 1,234.50 · Last 30 days"
    )  # fmt: skip


def test_the_zone_of_a_recipient_is_their_departments(db):
    from accounts.models import Department, User

    department = Department.objects.create(name="Westbrook", time_zone="America/New_York", distance_unit="mi")
    user = User(username="u", department=department)
    assert formatting.zone_of(user) == NEW_YORK
    assert formatting.distance_unit_of(user) == "mi"
    assert formatting.distance_unit_of(User(username="admin")) == "km"
