"""The pricing engine against hand-computed cases (no database)."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from pricing.engine import (
    ENERGY,
    FLAT,
    PARKING_TIME,
    TIME,
    Calendar,
    Contract,
    Element,
    LoadInterval,
    PriceComponent,
    Restrictions,
    Tariff,
    Usage,
    VolumeTier,
    price,
)

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def local(zone: str, *args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def tariff(*elements: Element, tax: str = "19", currency: str = "EUR", minor: int = 2) -> Tariff:
    return Tariff(label="Test v1", currency=currency, minor_units=minor, tax_percent=D(tax), elements=elements)


def energy(price_per_kwh: str, **restrictions) -> Element:
    return Element((PriceComponent(ENERGY, D(price_per_kwh)),), Restrictions(**restrictions))


def steady(start: datetime, hours: float, kw: str) -> Usage:
    span = timedelta(hours=hours)
    return Usage.constant_power(start=start, kwh=D(kw) * D(str(hours)), charging_for=span, connected_for=span)


NIGHT_AND_DAY = tariff(energy("0.20", start_time=time(22), end_time=time(7)), energy("0.30"))


def test_a_session_crossing_two_tiers_is_priced_by_each():
    result = price(NIGHT_AND_DAY, steady(local(BERLIN, 2026, 6, 10, 6), 2, "10"), Calendar(BERLIN))
    assert [(line.element, line.quantity, line.unit_price) for line in result.lines] == [
        (0, D(10), D("0.20")),  # 06:00-07:00 local, night tier
        (1, D(10), D("0.30")),  # 07:00-08:00, day
    ]
    assert result.lines[0].ends_at == local(BERLIN, 2026, 6, 10, 7)
    assert (result.total_excl_tax, result.tax, result.total) == (D("5.00"), D("0.95"), D("5.95"))


def test_a_session_crossing_midnight_into_the_weekend():
    weekend = tariff(energy("0.25", day_of_week=frozenset({5, 6})), energy("0.35"))
    # Friday 23:30 to Saturday 00:30 at 10 kW: 5 kWh at the weekday price, 5 kWh at the weekend one.
    result = price(weekend, steady(local(BERLIN, 2026, 6, 12, 23, 30), 1, "10"), Calendar(BERLIN))
    assert [(line.element, line.quantity) for line in result.lines] == [(1, D(5)), (0, D(5))]
    assert result.total_excl_tax == D("3.00")  # 1.75 + 1.25


def test_a_night_tier_spanning_midnight_is_one_line():
    result = price(NIGHT_AND_DAY, steady(local(BERLIN, 2026, 6, 10, 23, 30), 1, "11"), Calendar(BERLIN))
    assert [(line.element, line.quantity) for line in result.lines] == [(0, D(11))]
    assert result.total_excl_tax == D("2.20")


TWO_TO_THREE = tariff(energy("0.10", start_time=time(2), end_time=time(3)), energy("0.30"))


def test_the_spring_forward_hour_does_not_exist_in_berlin():
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST. 01:30 CET to 03:30 CEST is one real hour, no 02:xx.
    start = local(BERLIN, 2026, 3, 29, 1, 30)
    assert local(BERLIN, 2026, 3, 29, 3, 30) - start == timedelta(hours=1)
    result = price(TWO_TO_THREE, steady(start, 1, "10"), Calendar(BERLIN))
    assert {line.element for line in result.lines} == {1}
    assert result.total_excl_tax == D("3.00")


def test_the_repeated_autumn_hour_in_berlin_is_priced_twice():
    # 25 October 2026: 03:00 CEST falls back to 02:00 CET, so 02:00-03:00 happens twice.
    start = local(BERLIN, 2026, 10, 25, 1, 30)  # CEST
    end = local(BERLIN, 2026, 10, 25, 3, 30)  # CET
    assert end - start == timedelta(hours=3)
    result = price(TWO_TO_THREE, steady(start, 3, "10"), Calendar(BERLIN))
    by_element = {}
    for line in result.lines:
        by_element[line.element] = by_element.get(line.element, D(0)) + line.quantity
    assert by_element == {0: D(20), 1: D(10)}  # two real hours in the 02:00-03:00 tier
    assert result.total_excl_tax == D("5.00")  # 20 × 0.10 + 10 × 0.30


def test_charging_time_across_both_new_york_changes():
    night_time = tariff(
        Element((PriceComponent(TIME, D("2.00")),), Restrictions(start_time=time(0), end_time=time(6))),
        Element((PriceComponent(TIME, D("4.00")),)),
        tax="0",
    )
    # 1 November 2026: 01:00-02:00 EDT is followed by 01:00-02:00 EST. Midnight to 07:00 is 8 real hours.
    start, end = local(NEW_YORK, 2026, 11, 1, 0), local(NEW_YORK, 2026, 11, 1, 7)
    assert end - start == timedelta(hours=8)
    result = price(night_time, steady(start, 8, "7"), Calendar(NEW_YORK))
    assert [(line.element, line.quantity) for line in result.lines] == [(0, D(7)), (1, D(1))]
    assert result.total == D("18.00")
    # 8 March 2026: 02:00 EST jumps to 03:00 EDT. Midnight to 07:00 is 6 real hours, 5 of them at night.
    start, end = local(NEW_YORK, 2026, 3, 8, 0), local(NEW_YORK, 2026, 3, 8, 7)
    result = price(night_time, steady(start, 6, "7"), Calendar(NEW_YORK))
    assert [(line.element, line.quantity) for line in result.lines] == [(0, D(5)), (1, D(1))]
    assert result.total == D("14.00")


def test_a_customer_discount_applies_on_top_of_the_tier():
    contract = Contract(label="ACME", kind="discount", discount_percent=D("10"))
    result = price(NIGHT_AND_DAY, steady(local(BERLIN, 2026, 6, 10, 6), 2, "10"), Calendar(BERLIN), contract=contract)
    assert [line.unit_price for line in result.lines] == [D("0.18"), D("0.27")]
    assert result.lines[0].list_unit_price == D("0.20")
    assert "ACME: −10 %" in result.lines[0].adjustments
    assert result.total_excl_tax == D("4.50")


def test_a_contract_energy_price_replaces_the_tier_but_not_the_time_fee():
    with_time = tariff(
        Element((PriceComponent(ENERGY, D("0.30")), PriceComponent(TIME, D("1.00")))),
        tax="0",
    )
    contract = Contract(label="Depot B", kind="energy_price", energy_price=D("0.22"))
    result = price(with_time, steady(local(BERLIN, 2026, 6, 10, 9), 2, "11"), Calendar(BERLIN), contract=contract)
    assert result.total == D("6.84")  # 22 kWh × 0.22 + 2 h × 1.00


def test_a_load_surcharge_is_capped():
    start = local(BERLIN, 2026, 6, 10, 12)
    load = [
        LoadInterval(start, start + timedelta(minutes=30), D("1.2"), D(0), D("0.15"), D("0.40"), "site load 70 %"),
        LoadInterval(
            start + timedelta(minutes=30),
            start + timedelta(hours=1),
            D("1.5"),
            D(0),
            D("0.15"),
            D("0.40"),
            "site load 95 %",
        ),
    ]
    result = price(tariff(energy("0.30"), tax="0"), steady(start, 1, "10"), Calendar(BERLIN), load=load)
    assert [(line.quantity, line.unit_price) for line in result.lines] == [(D(5), D("0.360")), (D(5), D("0.40"))]
    assert "capped at 0.4" in result.lines[1].adjustments[0]
    assert result.total == D("3.80")  # 5 × 0.36 + 5 × 0.40


def test_rounding_happens_once_at_the_end():
    hourly = tariff(
        energy("0.10055", start_time=time(9), end_time=time(10)),
        energy("0.10055", start_time=time(10), end_time=time(11)),
        energy("0.10055"),
        tax="19",
    )
    result = price(hourly, steady(local(BERLIN, 2026, 6, 10, 9), 3, "10"), Calendar(BERLIN))
    assert [line.subtotal for line in result.lines] == [D("1.0055")] * 3
    # Rounded per line it would be 3 × 1.01 = 3.03; once at the end it is 3.0165 → 3.02.
    assert result.total_excl_tax == D("3.02")
    assert result.total == D("3.59")  # 3.0165 × 1.19 = 3.589635
    assert result.tax == D("0.57")
    assert all(isinstance(value, D) for value in (result.total, result.tax, result.lines[0].subtotal))


def test_a_currency_without_minor_units_rounds_to_whole_units():
    result = price(
        tariff(energy("24.35"), tax="10", currency="JPY", minor=0),
        steady(local("Asia/Tokyo", 2026, 6, 1, 9), 1, "10"),
        Calendar("Asia/Tokyo"),
    )
    assert (result.total_excl_tax, result.total) == (D("244"), D("268"))  # 243.5 → 244; 267.85 → 268


def test_parking_flat_and_step_size():
    full = tariff(
        Element(
            (
                PriceComponent(FLAT, D("1.00")),
                PriceComponent(ENERGY, D("0.30"), step_size=1000),
                PriceComponent(PARKING_TIME, D("6.00"), step_size=300),
            )
        ),
        tax="0",
    )
    start = local(BERLIN, 2026, 6, 10, 9)
    # 10.5 kWh in one hour, then 6 minutes connected without charging.
    usage = Usage.constant_power(
        start=start, kwh=D("10.5"), charging_for=timedelta(hours=1), connected_for=timedelta(minutes=66)
    )
    result = price(full, usage, Calendar(BERLIN))
    kinds = [(line.dimension, line.quantity) for line in result.lines]
    assert kinds[0] == (FLAT, D(1))
    assert (ENERGY, D("10.5")) in kinds and (ENERGY, D("0.5")) in kinds  # billed in whole kWh: 11
    assert (PARKING_TIME, D("0.1")) in kinds and (PARKING_TIME, D("4") / 60) in kinds  # 10 minutes billed
    assert result.total == D("1.00") + D("3.30") + D("1.00")


def test_a_holiday_is_priced_as_a_sunday():
    weekend = tariff(energy("0.25", day_of_week=frozenset({5, 6})), energy("0.35"))
    christmas = local(BERLIN, 2026, 12, 25, 10)  # a Friday
    plain = price(weekend, steady(christmas, 1, "10"), Calendar(BERLIN))
    holiday = price(weekend, steady(christmas, 1, "10"), Calendar(BERLIN, holidays=frozenset({christmas.date()})))
    assert (plain.total_excl_tax, holiday.total_excl_tax) == (D("3.50"), D("2.50"))


def test_a_monthly_volume_tier_starts_mid_session():
    contract = Contract(
        label="Volume",
        kind="volume",
        tiers=(VolumeTier(D(0)), VolumeTier(D(1000), energy_price=D("0.25"))),
        month_kwh_before=D(995),
    )
    result = price(
        tariff(energy("0.30"), tax="0"),
        steady(local(BERLIN, 2026, 6, 10, 9), 2, "10"),
        Calendar(BERLIN),
        contract=contract,
    )
    assert [(line.quantity, line.unit_price) for line in result.lines] == [(D(5), D("0.30")), (D(15), D("0.25"))]
    assert result.total == D("5.25")


def test_kwh_and_duration_restrictions_split_the_session():
    stepped = tariff(
        energy("0.40", min_kwh=D(20)),  # after the first 20 kWh
        Element((PriceComponent(TIME, D("3.00")),), Restrictions(min_duration_s=3600)),  # after the first hour
        energy("0.30"),
        tax="0",
    )
    result = price(stepped, steady(local(BERLIN, 2026, 6, 10, 9), 3, "10"), Calendar(BERLIN))
    got = [(line.dimension, line.element, line.quantity) for line in result.lines]
    assert got == [(ENERGY, 2, D(20)), (TIME, 1, D(2)), (ENERGY, 0, D(10))]
    assert result.total == D("6.00") + D("6.00") + D("4.00")
