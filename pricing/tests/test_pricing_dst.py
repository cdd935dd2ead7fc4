"""Prices across a daylight-saving change: durations are physical time, restrictions are the site's local clock.

Quotes go through the API as an integrator sends them: the start is parsed into the user's department zone, as
every API time is. Metered sessions are stopped as a station stops them and priced by `session_price` from
their meter samples, which fall every 30 minutes from 6 minutes after the start (never on the change itself).

The changes in 2027: Europe/Berlin 28 March 01:00 UTC (02:00 CET → 03:00 CEST: 02:00-03:00 does not exist) and
31 October 01:00 UTC (03:00 CEST → 02:00 CET: 02:00-03:00 happens twice); America/New_York 14 March 07:00 UTC
(02:00 EST → 03:00 EDT) and 7 November 06:00 UTC (02:00 EDT → 01:00 EST: 01:00-02:00 happens twice).
"""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from accounts.tests.factories import DepartmentFactory, UserFactory
from charging.models import MeterSample
from charging.services import transactions
from charging.tests.factories import SessionFactory
from pricing import services
from pricing.demo import BERLIN
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
BERLIN_ZONE, NEW_YORK_ZONE = "Europe/Berlin", "America/New_York"


def night_and_day(night_from: str) -> list[dict]:
    """The test tariff: night from `night_from` to 06:00 local (energy 0.10/kWh, charging 1.20/h), else day
    (0.30/kWh, 0.60/h); parking 3.00/h at any hour. No step sizes: every second counts."""
    return [
        {
            "price_components": [{"type": "ENERGY", "price": "0.10"}, {"type": "TIME", "price": "1.20"}],
            "restrictions": {"start_time": night_from, "end_time": "06:00"},
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": "0.30"},
                {"type": "TIME", "price": "0.60"},
                {"type": "PARKING_TIME", "price": "3.00"},
            ]
        },
    ]


def _depot(zone: str, elements: list[dict]):
    """A department, a user of it and a site with one 150 kW connector in `zone`, priced by `elements`."""
    american = zone.startswith("America/")
    department = DepartmentFactory(name=f"Depot {zone}", time_zone=zone)
    user = UserFactory(
        username=f"dispatcher-{zone.replace('/', '-')}", role=User.Role.DISPATCHER, department=department
    )
    site = SiteFactory(department=department, time_zone=zone)
    connector = ConnectorFactory(charge_point=ChargePointFactory(site=site))
    services.tariff_create(
        actor=None,
        name="Test tariff",
        department=department,
        currency="USD" if american else "EUR",
        site=site,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        tax_percent=D("8.875") if american else D("19"),
        elements=elements,
    )
    return user, connector


def _quote(api, user, connector, *, start: datetime, kwh: str, kw: str, minutes: int | None = None) -> dict:
    body = {"connector": connector.pk, "start": start.isoformat(), "energy_kwh": kwh, "power_kw": kw}
    if minutes is not None:
        body["duration_minutes"] = minutes
    response = api(user).post("/api/v1/pricing/quote/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def _metered(connector, capture, *, start: datetime, kw: float, charging_until: datetime, end: datetime):
    """A session charging at `kw` until `charging_until`, then parked until `end`; sampled every 30 minutes
    from start + 6 minutes (whole Wh at 10 kW), at `charging_until` and at `end`; stopped by the station and
    priced."""
    session = SessionFactory(connector=connector, started_at=start, meter_start_wh=0.0, meter_last_wh=0.0)
    moments = {charging_until, end}
    moment = start + timedelta(minutes=6)
    while moment < end:
        moments.add(moment)
        moment += timedelta(minutes=30)
    for moment in sorted(moments):
        charged_h = (min(moment, charging_until) - start).total_seconds() / 3600
        MeterSample.objects.create(
            connector=connector, session=session, sampled_at=moment, energy_wh=round(kw * 1000 * charged_h, 3)
        )
    with capture(execute=True):
        transactions.transaction_stop(
            charge_point_id=session.charge_point_id,
            transaction_id=session.transaction_id,
            meter_stop_wh=round(kw * 1000 * (charging_until - start).total_seconds() / 3600, 3),
            timestamp=end,
        )
    session.refresh_from_db()
    return session.cost_breakdown


def _by_rate(priced: dict) -> dict:
    """{(dimension, unit price): quantity} summed over the lines: what was billed at which rate."""
    totals: dict = {}
    for line in priced["lines"]:
        key = (line["dimension"], D(line["unit_price"]))
        totals[key] = totals.get(key, D(0)) + D(line["quantity"])
    return totals


def _spans(priced: dict, dimension: str) -> list[tuple[str, str]]:
    return [
        (line["starts_at"][11:16], line["ends_at"][11:16]) for line in priced["lines"] if line["dimension"] == dimension
    ]


# --- the figures of the issue: the demo tariff of the Berlin depots -------------------------------------------------


def test_a_demo_quote_over_berlins_autumn_change_is_six_physical_hours_at_night_with_no_parking(api):
    """Demo tariff (pricing/demo.py BERLIN): 0.24/kWh 22:00-06:00, 0.29 at weekends, 0.36 else, parking 6.00/h
    once connected 4 h; 19 % tax.

    60 kWh at 10 kW from 2027-10-30 23:00 UTC = Sunday 01:00 CEST: 6 physical hours, to 05:00 UTC = 06:00 CET
    (the clock went back at 03:00 CEST). All of it in the night: 60 kWh × 0.24 = 14.40, no parking;
    total 14.40 × 1.19 = 17.136 → 17.14. (Wall-clock arithmetic ended it at 07:00 CET, seven hours in, and billed
    the last hour as parking: 24.28.)
    """
    user, connector = _depot(BERLIN_ZONE, BERLIN)
    data = _quote(api, user, connector, start=datetime(2027, 10, 30, 23, tzinfo=UTC), kwh="60", kw="10")
    assert _by_rate(data) == {("ENERGY", D("0.24")): D(60)}
    assert _spans(data, "ENERGY") == [("23:00", "05:00")]
    assert (data["total_excl_tax"], data["total"]) == ("14.40", "17.14")


def test_a_demo_quote_over_berlins_spring_change_leaves_the_night_rate_at_six_local(api):
    """Demo tariff as above. 60 kWh at 10 kW from 2027-03-27 22:30 UTC = Saturday 23:30 CET: 6 physical hours,
    to 04:30 UTC = Sunday 06:30 CEST. Night until 06:00 CEST = 04:00 UTC: 5.5 h, 55 kWh × 0.24 = 13.20; then
    Sunday daytime, the weekend rate: 5 kWh × 0.29 = 1.45. Excl. tax 14.65, total 14.65 × 1.19 = 17.4335 → 17.43.
    (Wall-clock arithmetic ended it at 05:30 CEST, one physical hour early, all at night: 14.40.)
    """
    user, connector = _depot(BERLIN_ZONE, BERLIN)
    data = _quote(api, user, connector, start=datetime(2027, 3, 27, 22, 30, tzinfo=UTC), kwh="60", kw="10")
    assert _by_rate(data) == {("ENERGY", D("0.24")): D(55), ("ENERGY", D("0.29")): D(5)}
    assert _spans(data, "ENERGY") == [("22:30", "04:00"), ("04:00", "04:30")]
    assert (data["total_excl_tax"], data["total"]) == ("14.65", "17.43")


# --- both changes in both zones: quotes through the API and metered sessions ------------------------------------


def test_charging_over_berlins_spring_change_is_priced_by_physical_hours_and_the_local_clock(
    api, django_capture_on_commit_callbacks
):
    """Night from 02:30, which does not exist on 28 March 2027: the night starts when the clock jumps to 03:00.

    20 kWh at 10 kW from 00:00 UTC (01:00 CET), connected 180 minutes:
    - 00:00-01:00 UTC = 01:00-02:00 CET, day: 10 kWh × 0.30 = 3.00; charging 1 h × 0.60 = 0.60
    - 01:00-02:00 UTC = 03:00-04:00 CEST, night: 10 kWh × 0.10 = 1.00; charging 1 h × 1.20 = 1.20
    - 02:00-03:00 UTC, parked: 1 h × 3.00 = 3.00
    Charging 2 h and parking 1 h of the 3 physical hours. Excl. tax 8.80; total 8.80 × 1.19 = 10.472 → 10.47.
    """
    user, connector = _depot(BERLIN_ZONE, night_and_day("02:30"))
    start = datetime(2027, 3, 28, 0, tzinfo=UTC)
    expected = {
        ("ENERGY", D("0.30")): D(10),
        ("ENERGY", D("0.10")): D(10),
        ("TIME", D("0.60")): D(1),
        ("TIME", D("1.20")): D(1),
        ("PARKING_TIME", D("3.00")): D(1),
    }
    quoted = _quote(api, user, connector, start=start, kwh="20", kw="10", minutes=180)
    metered = _metered(
        connector, django_capture_on_commit_callbacks, start=start, kw=10,
        charging_until=start + timedelta(hours=2), end=start + timedelta(hours=3),
    )  # fmt: skip
    for priced in (quoted, metered):
        assert _by_rate(priced) == expected
        assert _spans(priced, "TIME") == [("00:00", "01:00"), ("01:00", "02:00")]
        assert _spans(priced, "PARKING_TIME") == [("02:00", "03:00")]
        assert (priced["total_excl_tax"], priced["total"]) == ("8.80", "10.47")


def test_charging_over_berlins_autumn_change_prices_the_repeated_hour_by_the_local_clock_both_times(
    api, django_capture_on_commit_callbacks
):
    """Night from 02:30; on 31 October 2027 02:00-03:00 happens twice, so the night starts twice.

    25 kWh at 10 kW from 2027-10-30 23:30 UTC (01:30 CEST), connected 210 minutes:
    - 23:30-00:30 UTC = 01:30-02:30 CEST, day: 10 kWh × 0.30 = 3.00; charging 1 h × 0.60 = 0.60
    - 00:30-01:00 UTC = 02:30-03:00 CEST, night: 5 kWh × 0.10 = 0.50; 0.5 h × 1.20 = 0.60
    - 01:00-01:30 UTC = 02:00-02:30 CET, day again: 5 kWh × 0.30 = 1.50; 0.5 h × 0.60 = 0.30
    - 01:30-02:00 UTC = 02:30-03:00 CET, night: 5 kWh × 0.10 = 0.50; 0.5 h × 1.20 = 0.60
    - 02:00-03:00 UTC, parked: 1 h × 3.00 = 3.00
    Day 15 kWh and 1.5 h, night 10 kWh and 1 h, parking 1 h: 3.5 physical hours. Excl. tax
    4.50 + 1.00 + 0.90 + 1.20 + 3.00 = 10.60; total 10.60 × 1.19 = 12.614 → 12.61.
    """
    user, connector = _depot(BERLIN_ZONE, night_and_day("02:30"))
    start = datetime(2027, 10, 30, 23, 30, tzinfo=UTC)
    expected = {
        ("ENERGY", D("0.30")): D(15),
        ("ENERGY", D("0.10")): D(10),
        ("TIME", D("0.60")): D("1.5"),
        ("TIME", D("1.20")): D(1),
        ("PARKING_TIME", D("3.00")): D(1),
    }
    quoted = _quote(api, user, connector, start=start, kwh="25", kw="10", minutes=210)
    metered = _metered(
        connector, django_capture_on_commit_callbacks, start=start, kw=10,
        charging_until=start + timedelta(hours=2.5), end=start + timedelta(hours=3.5),
    )  # fmt: skip
    for priced in (quoted, metered):
        assert _by_rate(priced) == expected
        assert _spans(priced, "TIME") == [
            ("23:30", "00:30"),
            ("00:30", "01:00"),
            ("01:00", "01:30"),
            ("01:30", "02:00"),
        ]
        assert _spans(priced, "PARKING_TIME") == [("02:00", "03:00")]
        assert (priced["total_excl_tax"], priced["total"]) == ("10.60", "12.61")


def test_charging_over_new_yorks_spring_change_is_priced_by_physical_hours_and_the_local_clock(
    api, django_capture_on_commit_callbacks
):
    """Night from 02:30, which does not exist on 14 March 2027 in New York: the night starts at 03:00 EDT.

    25 kWh at 10 kW from 05:30 UTC (00:30 EST), connected 240 minutes:
    - 05:30-07:00 UTC = 00:30-02:00 EST, day: 15 kWh × 0.30 = 4.50; charging 1.5 h × 0.60 = 0.90
    - 07:00-08:00 UTC = 03:00-04:00 EDT, night: 10 kWh × 0.10 = 1.00; charging 1 h × 1.20 = 1.20
    - 08:00-09:30 UTC, parked: 1.5 h × 3.00 = 4.50
    Charging 2.5 h and parking 1.5 h of the 4 physical hours. Excl. tax 12.10; total with 8.875 % tax
    12.10 × 1.08875 = 13.173875 → 13.17.
    """
    user, connector = _depot(NEW_YORK_ZONE, night_and_day("02:30"))
    start = datetime(2027, 3, 14, 5, 30, tzinfo=UTC)
    expected = {
        ("ENERGY", D("0.30")): D(15),
        ("ENERGY", D("0.10")): D(10),
        ("TIME", D("0.60")): D("1.5"),
        ("TIME", D("1.20")): D(1),
        ("PARKING_TIME", D("3.00")): D("1.5"),
    }
    quoted = _quote(api, user, connector, start=start, kwh="25", kw="10", minutes=240)
    metered = _metered(
        connector, django_capture_on_commit_callbacks, start=start, kw=10,
        charging_until=start + timedelta(hours=2.5), end=start + timedelta(hours=4),
    )  # fmt: skip
    for priced in (quoted, metered):
        assert _by_rate(priced) == expected
        assert _spans(priced, "TIME") == [("05:30", "07:00"), ("07:00", "08:00")]
        assert _spans(priced, "PARKING_TIME") == [("08:00", "09:30")]
        assert (priced["total_excl_tax"], priced["total"]) == ("12.10", "13.17")


def test_charging_over_new_yorks_autumn_change_prices_the_repeated_hour_by_the_local_clock_both_times(
    api, django_capture_on_commit_callbacks
):
    """Night from 01:30; on 7 November 2027 01:00-02:00 happens twice in New York, so the night starts twice.

    30 kWh at 10 kW from 04:00 UTC (00:00 EDT), connected 240 minutes:
    - 04:00-05:30 UTC = 00:00-01:30 EDT, day: 15 kWh × 0.30 = 4.50; charging 1.5 h × 0.60 = 0.90
    - 05:30-06:00 UTC = 01:30-02:00 EDT, night: 5 kWh × 0.10 = 0.50; 0.5 h × 1.20 = 0.60
    - 06:00-06:30 UTC = 01:00-01:30 EST, day again: 5 kWh × 0.30 = 1.50; 0.5 h × 0.60 = 0.30
    - 06:30-07:00 UTC = 01:30-02:00 EST, night: 5 kWh × 0.10 = 0.50; 0.5 h × 1.20 = 0.60
    - 07:00-08:00 UTC, parked: 1 h × 3.00 = 3.00
    Day 20 kWh and 2 h, night 10 kWh and 1 h, parking 1 h: 4 physical hours. Excl. tax
    6.00 + 1.00 + 1.20 + 1.20 + 3.00 = 12.40; total 12.40 × 1.08875 = 13.5005 → 13.50.
    """
    user, connector = _depot(NEW_YORK_ZONE, night_and_day("01:30"))
    start = datetime(2027, 11, 7, 4, tzinfo=UTC)
    expected = {
        ("ENERGY", D("0.30")): D(20),
        ("ENERGY", D("0.10")): D(10),
        ("TIME", D("0.60")): D(2),
        ("TIME", D("1.20")): D(1),
        ("PARKING_TIME", D("3.00")): D(1),
    }
    quoted = _quote(api, user, connector, start=start, kwh="30", kw="10", minutes=240)
    metered = _metered(
        connector, django_capture_on_commit_callbacks, start=start, kw=10,
        charging_until=start + timedelta(hours=3), end=start + timedelta(hours=4),
    )  # fmt: skip
    for priced in (quoted, metered):
        assert _by_rate(priced) == expected
        assert _spans(priced, "TIME") == [
            ("04:00", "05:30"),
            ("05:30", "06:00"),
            ("06:00", "06:30"),
            ("06:30", "07:00"),
        ]
        assert _spans(priced, "PARKING_TIME") == [("07:00", "08:00")]
        assert (priced["total_excl_tax"], priced["total"]) == ("12.40", "13.50")


# --- a property: over a year, billed durations are physical durations ------------------------------------------


CHANGES = {
    BERLIN_ZONE: [datetime(2027, 3, 28, 1, tzinfo=UTC), datetime(2027, 10, 31, 1, tzinfo=UTC)],
    NEW_YORK_ZONE: [datetime(2027, 3, 14, 7, tzinfo=UTC), datetime(2027, 11, 7, 6, tzinfo=UTC)],
}


def test_quoted_charging_and_parking_hours_equal_the_physical_time_for_random_starts_over_a_year(api):
    """For 100 quotes per zone (a fixed seed): starts at random minutes of 2027, half of them in the three days
    before a change so that many quotes span one; random energy, power and parking time (up to 3 days). The TIME
    lines add up to energy / power and the PARKING_TIME lines to the rest of the time connected, to the
    millisecond; the lines run without gap from the start to start + the time connected, in physical time."""
    rng = random.Random(13)
    year_start, minutes_in_year = datetime(2027, 1, 1, tzinfo=UTC), 365 * 24 * 60
    for zone in (BERLIN_ZONE, NEW_YORK_ZONE):
        user, connector = _depot(zone, night_and_day("02:30"))
        across = 0
        for i in range(100):
            if i % 2:
                start = rng.choice(CHANGES[zone]) - timedelta(minutes=rng.randrange(3 * 24 * 60))
            else:
                start = year_start + timedelta(minutes=rng.randrange(minutes_in_year))
            local_start = start.astimezone(ZoneInfo(zone))  # as the API reads it for this user
            kw = D(rng.choice(["3.7", "7.4", "11", "22", "50", "150"]))
            kwh = D(rng.randrange(1000, 120000)) / 1000
            charging = timedelta(seconds=float(kwh / kw * 3600))
            if charging > timedelta(days=6):
                continue
            minutes = int(charging.total_seconds() // 60) + 1 + rng.randrange(0, 3 * 24 * 60)
            connected = timedelta(minutes=minutes)
            data = _quote(api, user, connector, start=local_start, kwh=str(kwh), kw=str(kw), minutes=minutes)
            hours = {dimension: D(0) for dimension in ("TIME", "PARKING_TIME")}
            for line in data["lines"]:
                if line["dimension"] in hours:
                    hours[line["dimension"]] += D(line["quantity"])
            context = (zone, local_start.isoformat(), str(kwh), str(kw), minutes)
            assert abs(hours["TIME"] * 3600 - D(charging.total_seconds())) < D("0.001"), context
            assert abs(hours["PARKING_TIME"] * 3600 - D((connected - charging).total_seconds())) < D("0.001"), context
            timed = sorted(
                (datetime.fromisoformat(line["starts_at"]), datetime.fromisoformat(line["ends_at"]))
                for line in data["lines"]
                if line["dimension"] in hours
            )
            assert timed[0][0] == start and timed[-1][1] == start + connected, context  # UTC: physical time
            assert all(a[1] == b[0] for a, b in zip(timed, timed[1:], strict=False)), context
            across += any(start < change < start + connected for change in CHANGES[zone])
        assert across >= 20, f"only {across} quotes of {zone} span a change: the sample tests too little"
