"""Tariffs, versions, contracts, dynamic pricing, quotes and session costs through the services and the API."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from charging import services as charging_services
from charging.models import ChargingSession, MeterSample
from charging.services import transactions
from charging.tests.factories import SessionFactory
from fleet.tests.factories import VehicleFactory, VehicleModelFactory
from pricing import services
from pricing.models import Contract, GridSignal, HolidayCalendar, LoadPricing, PriceInterval, Tariff, TariffVersion
from pricing.tests.factories import DAY_NIGHT, CustomerFactory
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
T = datetime(2026, 6, 10, 4, tzinfo=UTC)  # 06:00 in Berlin (CEST)


@pytest.fixture
def depot(org):
    site = SiteFactory(department=org.a, name="North", grid_limit_kw=D("100"))
    connector = ConnectorFactory(
        charge_point=ChargePointFactory(site=site, identity="CP-N1"),
        evse_id=1,
        connector_type="type2",
        current_type="ac",
        max_power_kw=D("22"),
    )
    tariff = services.tariff_create(
        actor=org.fleet_manager_a,
        name="North standard",
        department=org.a,
        currency="EUR",
        site=site,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        tax_percent=D("19"),
        elements=DAY_NIGHT,
    )
    return {"site": site, "connector": connector, "tariff": tariff}


def _metered_session(connector, *, start=T, hours=2, kw=10, customer=None, **extra):
    session = SessionFactory(
        connector=connector, started_at=start, customer=customer, meter_start_wh=1000.0, meter_last_wh=1000.0, **extra
    )
    steps = hours * 4
    for i in range(1, steps + 1):
        MeterSample.objects.create(
            connector=connector,
            session=session,
            sampled_at=start + timedelta(minutes=15 * i),
            energy_wh=1000.0 + kw * 250.0 * i,
            power_kw=float(kw),
        )
    return session


def _stop(session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        transactions.transaction_stop(
            charge_point_id=session.charge_point_id,
            transaction_id=session.transaction_id,
            meter_stop_wh=session.meter_samples.order_by("-sampled_at").first().energy_wh,
            timestamp=session.meter_samples.order_by("-sampled_at").first().sampled_at,
        )
    session.refresh_from_db()
    return session


# --- session costs ----------------------------------------------------------------------------------


def test_a_finished_session_is_priced_with_its_breakdown(depot, django_capture_on_commit_callbacks):
    session = _stop(_metered_session(depot["connector"]), django_capture_on_commit_callbacks)
    assert (session.cost_excl_tax, session.cost_tax, session.cost_total, session.currency) == (
        D("5.00"),
        D("0.95"),
        D("5.95"),
        "EUR",
    )
    lines = session.cost_breakdown["lines"]
    assert [(line["element"], line["quantity"], line["unit_price"]) for line in lines] == [
        (0, "10", "0.2"),
        (1, "10", "0.3"),
    ]
    assert session.tariff_version.number == 1


def test_a_new_version_prices_later_sessions_and_a_past_session_keeps_its_own(
    depot, org, django_capture_on_commit_callbacks
):
    first = _stop(_metered_session(depot["connector"]), django_capture_on_commit_callbacks)
    services.tariff_version_create(
        actor=org.fleet_manager_a,
        tariff=depot["tariff"],
        valid_from=T + timedelta(days=1),
        tax_percent=D("19"),
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.50"}]}],
    )
    charging_services.session_price(session_id=first.pk)  # priced again: same version, same cost
    first.refresh_from_db()
    assert (first.tariff_version.number, first.cost_total) == (1, D("5.95"))
    later = _stop(
        _metered_session(depot["connector"], start=T + timedelta(days=2), transaction_id="later"),
        django_capture_on_commit_callbacks,
    )
    assert (later.tariff_version.number, later.cost_excl_tax) == (2, D("10.00"))


def test_a_customer_discount_applies_to_the_session(depot, org, django_capture_on_commit_callbacks):
    customer = CustomerFactory(department=org.a)
    services.contract_create(
        actor=None, customer=customer, name="ACME 2026", kind="discount", valid_from=T - timedelta(days=30),
        discount_percent=D("10"),
    )  # fmt: skip
    session = _stop(_metered_session(depot["connector"], customer=customer), django_capture_on_commit_callbacks)
    assert session.cost_excl_tax == D("4.50")
    assert session.cost_breakdown["contract"] == "ACME 2026"


def test_the_customer_comes_from_the_token_else_the_vehicle(depot, org):
    from charging.models import IdToken

    fleet_customer, card_customer = CustomerFactory(department=org.a), CustomerFactory(department=org.a)
    vehicle = VehicleFactory(department=org.a, customer=fleet_customer)
    IdToken.objects.create(token="VEH", department=org.a, vehicle=vehicle)
    IdToken.objects.create(token="CARD", department=org.a, vehicle=vehicle, customer=card_customer)
    started = [
        transactions.transaction_start(
            charge_point_id=depot["connector"].charge_point_id, evse_id=1, connector_id=1, id_tag=tag,
            meter_start_wh=0.0, timestamp=T, transaction_id=tag,
        )
        for tag in ("VEH", "CARD")
    ]  # fmt: skip
    assert [s.customer_id for s in started] == [fleet_customer.pk, card_customer.pk]


# --- dynamic pricing ------------------------------------------------------------------------------------


def test_load_pricing_records_each_interval_and_caps_the_price(depot, django_capture_on_commit_callbacks):
    site, connector = depot["site"], depot["connector"]
    LoadPricing.objects.create(
        site=site, curve=[[0, "1.0"], [50, "1.0"], [100, "2.0"]], floor_price=D("0.15"), cap_price=D("0.45")
    )
    # 90 kW drawn on the site in the 15 minutes before 07:00 local (05:00 UTC): 90 % of the 100 kW limit.
    other = ConnectorFactory(charge_point=connector.charge_point, evse_id=2)
    for minute in (0, 5, 10):
        MeterSample.objects.create(connector=other, sampled_at=T + timedelta(minutes=45 + minute), power_kw=80.0)
    session = _stop(_metered_session(connector, kw=10), django_capture_on_commit_callbacks)
    at_seven = PriceInterval.objects.get(site=site, starts_at=T + timedelta(hours=1))
    assert at_seven.site_load_kw == D("90.00")  # 80 kW on one connector + 10 kW of the session
    assert (at_seven.load_percent, at_seven.multiplier) == (D("90.00"), D("1.8000"))
    assert PriceInterval.objects.filter(site=site).count() == 8  # every interval of the two hours
    lines = session.cost_breakdown["lines"]
    seven = [line for line in lines if line["starts_at"].startswith("2026-06-10T05:00")]
    assert seven[0]["unit_price"] == "0.45"  # 0.30 × 1.8 = 0.54, capped
    assert "capped at 0.45" in seven[0]["adjustments"][0]


def test_a_grid_signal_raises_the_load_and_passes_on_its_price(depot):
    site = depot["site"]
    policy = LoadPricing.objects.create(
        site=site,
        curve=[[0, "1.0"], [100, "1.5"]],
        grid_price_reference=D("0.10"),
        grid_price_share_percent=D("50"),
    )
    GridSignal.objects.create(
        site=site, starts_at=T, ends_at=T + timedelta(hours=1), price_per_kwh=D("0.30"), load_percent=D("60"),
        source="tso",
    )  # fmt: skip
    row = services.price_interval_record(site=site, starts_at=T, policy=policy)
    assert (row.load_percent, row.grid_load_percent, row.multiplier, row.adder) == (
        D("0.00"),
        D("60"),
        D("1.3000"),
        D("0.100000"),  # (0.30 - 0.10) × 50 %
    )
    assert services.price_interval_record(site=site, starts_at=T, policy=policy).pk == row.pk  # once


# --- holidays -------------------------------------------------------------------------------------------------


def test_a_public_holiday_of_the_site_is_priced_as_a_sunday(depot, org, api):
    site = depot["site"]
    site.holiday_calendar = HolidayCalendar.objects.create(name="Berlin", country="DE", subdivision="BE")
    site.save()
    services.tariff_version_create(
        actor=None,
        tariff=depot["tariff"],
        valid_from=datetime(2026, 12, 1, tzinfo=UTC),
        tax_percent=D("0"),
        elements=[
            {"price_components": [{"type": "ENERGY", "price": "0.25"}], "restrictions": {"day_of_week": ["SUNDAY"]}},
            {"price_components": [{"type": "ENERGY", "price": "0.35"}]},
        ],
    )
    christmas = datetime(2026, 12, 25, 9, tzinfo=UTC)  # a Friday, a public holiday
    priced = services.quote(connector=depot["connector"], start=christmas, energy_kwh=D("10"), power_kw=D("10"))
    assert priced.result.total == D("2.50")
    friday = services.quote(
        connector=depot["connector"], start=christmas - timedelta(days=7), energy_kwh=D("10"), power_kw=D("10")
    )
    assert friday.result.total == D("3.50")


# --- the API ----------------------------------------------------------------------------------------------


def test_the_quote_endpoint_gives_the_breakdown(depot, org, api):
    body = {"connector": depot["connector"].pk, "start": "2026-06-10T04:00:00Z", "energy_kwh": "20", "power_kw": "10"}
    response = api(org.dispatcher_a).post("/api/v1/pricing/quote/", body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["total_excl_tax"], data["tax"], data["total"]) == ("5.00", "0.95", "5.95")
    assert [line["restriction"] for line in data["lines"]] == ["22:00–07:00", "always"]
    assert data["lines"][0]["starts_at"] == "2026-06-10T04:00:00+00:00"


def test_a_quote_with_parking_time_and_the_vehicles_own_power(depot, org, api):
    services.tariff_version_create(
        actor=None,
        tariff=depot["tariff"],
        valid_from=datetime(2026, 6, 1, tzinfo=UTC),
        tax_percent=D("0"),
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.30"}, {"type": "PARKING_TIME", "price": "6"}]}],
    )
    vehicle = VehicleFactory(department=org.a, vehicle_model=VehicleModelFactory(max_ac_kw=D("11")))
    body = {
        "connector": depot["connector"].pk,
        "vehicle": vehicle.pk,
        "start": "2026-06-10T10:00:00Z",
        "energy_kwh": "22",
        "duration_minutes": 150,
    }
    data = api(org.fleet_manager_a).post("/api/v1/pricing/quote/", body, format="json").json()
    assert data["power_kw"] == "11.0"  # the vehicle's onboard charger, not the 22 kW connector
    assert data["total"] == "9.60"  # 22 kWh × 0.30 + 0.5 h parking × 6


def test_a_quote_for_a_connector_the_vehicle_cannot_use_names_both(depot, org, api):
    vehicle = VehicleFactory(
        department=org.a, fleet_number="ABC", vehicle_model=VehicleModelFactory(inlets=["chademo"], max_dc_kw=D("50"))
    )
    body = {"connector": depot["connector"].pk, "vehicle": vehicle.pk, "energy_kwh": "10"}
    response = api(org.fleet_manager_a).post("/api/v1/pricing/quote/", body, format="json")
    assert response.status_code == 400
    message = response.json()["fields"]["vehicle"][0]["message"]
    assert "ABC" in message and "CP-N1" in message and "CHAdeMO" in message


def test_quote_errors_name_the_field(depot, org, api):
    client = api(org.fleet_manager_a)
    bare = ConnectorFactory(charge_point=ChargePointFactory(site=SiteFactory(department=org.a)))
    cases = [
        ({"connector": depot["connector"].pk}, "energy_kwh"),
        ({"connector": depot["connector"].pk, "energy_kwh": "-1"}, "energy_kwh"),
        ({"connector": depot["connector"].pk, "energy_kwh": "100", "duration_minutes": 10}, "energy_kwh"),
        ({"connector": bare.pk, "energy_kwh": "10"}, "connector"),
        ({"connector": depot["connector"].pk, "energy_kwh": "10", "start": "2025-01-01T00:00:00Z"}, "start"),
        ({"connector": depot["connector"].pk, "energy_kwh": "10", "kwh": 3}, "kwh"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/pricing/quote/", body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert field in response.json()["fields"], (body, response.json())


def test_a_tariff_is_created_with_its_first_version_through_the_api(depot, org, api):
    body = {
        "name": "Fast lane",
        "department": org.a.pk,
        "currency": "EUR",
        "connector": depot["connector"].pk,
        "tax_percent": "19",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.55}, {"type": "FLAT", "price": "1"}]}],
    }
    response = api(org.fleet_manager_a).post("/api/v1/tariffs/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["attached_to"].startswith("connector") and data["current_version"]["number"] == 1
    assert data["current_version"]["elements"][0]["price_components"][0]["price"] == "0.55"
    # The connector's own tariff wins over the site's.
    quote = services.quote(connector=depot["connector"], start=datetime.now(UTC), energy_kwh=D("10"))
    assert quote.version.tariff.name == "Fast lane"


def _el(price: str = "0.3", kind: str = "ENERGY", **restrictions) -> dict:
    element = {"price_components": [{"type": kind, "price": price}]}
    if restrictions:
        element["restrictions"] = restrictions
    return element


@pytest.mark.parametrize(
    ("elements", "field"),
    [
        (  # overlapping tiers
            [_el(start_time="07:00", end_time="22:00"), _el("0.4", start_time="20:00", end_time="23:00")],
            "elements.1.restrictions.start_time",
        ),
        ([_el(start_time="07:00", end_time="07:00")], "elements.0.restrictions.end_time"),  # ends when it starts
        ([_el("-0.3")], "elements.0.price_components.0.price"),  # negative price
        ([_el(min_kwh="20", max_kwh="10")], "elements.0.restrictions.max_kwh"),  # contradictory
        ([_el(), _el("0.2", day_of_week=["SUNDAY"])], "elements.1.restrictions"),  # after a catch-all: never applies
        ([_el(start_time="25:00")], "elements.0.restrictions.start_time"),
        ([_el(kind="WATER")], "elements.0.price_components.0.type"),
        ([_el(min_current=16)], "elements.0.restrictions.min_current"),
        ([], "elements"),
    ],
)
def test_bad_tariffs_are_rejected_by_field_and_nothing_is_saved(depot, org, api, elements, field):
    tariffs, versions = Tariff.objects.count(), TariffVersion.objects.count()
    body = {"name": "Bad", "department": org.a.pk, "currency": "EUR", "tax_percent": "19", "elements": elements}
    response = api(org.fleet_manager_a).post("/api/v1/tariffs/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert (Tariff.objects.count(), TariffVersion.objects.count()) == (tariffs, versions)


def test_a_crossing_midnight_tier_unknown_currency_and_early_version(depot, org, api):
    client = api(org.fleet_manager_a)
    body = {"name": "X", "department": org.a.pk, "currency": "EUX", "tax_percent": "19", "elements": DAY_NIGHT}
    response = client.post("/api/v1/tariffs/", body, format="json")
    assert response.status_code == 400 and "currency" in response.json()["fields"]
    url = f"/api/v1/tariffs/{depot['tariff'].pk}/versions/"
    version = {"valid_from": "2025-06-01T00:00:00Z", "tax_percent": "19", "elements": DAY_NIGHT}
    response = client.post(url, version, format="json")
    assert response.status_code == 400 and "valid_from" in response.json()["fields"]
    response = client.post(url, {**version, "valid_from": "2026-07-01T00:00:00Z"}, format="json")
    assert response.status_code == 201 and response.json()["number"] == 2
    assert [v["number"] for v in client.get(url).json()] == [2, 1]
    # Prices do not change by editing the tariff itself.
    response = client.patch(f"/api/v1/tariffs/{depot['tariff'].pk}/", {"elements": DAY_NIGHT}, format="json")
    assert response.status_code == 400 and "elements" in response.json()["fields"]


def test_the_preview_gives_the_price_for_each_local_hour(depot, org, api):
    url = f"/api/v1/tariffs/{depot['tariff'].pk}/preview/"
    data = api(org.analyst_a).get(url, {"date": "2026-06-10"}).json()
    assert len(data["hours"]) == 24 and data["time_zone"] == "Europe/Berlin"
    prices = {h["hour"]: h["energy_price"] for h in data["hours"]}
    assert (prices["06:00"], prices["07:00"], prices["21:00"], prices["22:00"]) == ("0.20", "0.30", "0.30", "0.20")
    assert data["hours"][7]["energy_price_incl_tax"] == "0.3570"
    spring = api(org.analyst_a).get(url, {"date": "2026-03-29"}).json()
    assert len(spring["hours"]) == 23  # the day clocks go forward
    response = api(org.analyst_a).get(url, {"date": "29.03.2026"})
    assert response.status_code == 400 and "date" in response.json()["fields"]


def test_contracts_do_not_overlap_and_volume_needs_tiers(org, api):
    customer = CustomerFactory(department=org.a)
    client = api(org.fleet_manager_a)
    base = {"customer": customer.pk, "name": "2026", "kind": "discount", "discount_percent": "5",
            "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}  # fmt: skip
    assert client.post("/api/v1/contracts/", base, format="json").status_code == 201
    response = client.post("/api/v1/contracts/", {**base, "name": "Again"}, format="json")
    assert response.status_code == 400 and "valid_from" in response.json()["fields"]
    assert Contract.objects.count() == 1
    volume = {
        **base,
        "name": "Vol",
        "kind": "volume",
        "discount_percent": None,
        "valid_from": "2027-01-01T00:00:00Z",
        "valid_until": None,
    }
    response = client.post("/api/v1/contracts/", volume, format="json")
    assert response.status_code == 400 and "tiers" in response.json()["fields"]
    tiers = [{"from_kwh": "0", "energy_price": "0.30"}, {"from_kwh": "1000", "energy_price": "0.25"}]
    response = client.post("/api/v1/contracts/", {**volume, "tiers": tiers}, format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["tiers"]) == 2


def test_pricing_objects_are_scoped_by_department(depot, org, api):
    tariff = depot["tariff"]
    CustomerFactory(department=org.a, name="Mine")
    outsider = api(org.fleet_manager_b)
    assert outsider.get(f"/api/v1/tariffs/{tariff.pk}/").status_code == 404
    assert outsider.get("/api/v1/tariffs/").json()["count"] == 0
    assert outsider.get("/api/v1/customers/").json()["count"] == 0
    body = {"connector": depot["connector"].pk, "energy_kwh": "10"}
    response = outsider.post("/api/v1/pricing/quote/", body, format="json")
    assert response.status_code == 400 and "connector" in response.json()["fields"]  # not in their scope
    assert api(org.technician_a).post("/api/v1/pricing/quote/", body, format="json").status_code == 403
    assert api(org.dispatcher_a).post("/api/v1/tariffs/", {}, format="json").status_code == 403
    assert api(org.fleet_manager_a).get("/api/v1/tariffs/").json()["count"] == 1


def test_sessions_list_export_and_ocpi_run_a_constant_number_of_queries(depot, org, api, django_assert_max_num_queries):
    for i in range(6):
        _metered_session(depot["connector"], start=T + timedelta(days=i), transaction_id=f"tx{i}")
    client = api(org.fleet_manager_a)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/sessions/").json()["count"] == 6
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/tariffs/").json()["count"] == 1
    with django_assert_max_num_queries(8):
        client.get("/api/v1/customers/")
    ocpi = client.get(f"/api/v1/tariffs/{depot['tariff'].pk}/ocpi/").json()
    assert ocpi["currency"] == "EUR" and ocpi["elements"][0]["price_components"][0]["price"] == 0.2


def test_the_session_export_has_the_costs(depot, org, api, django_capture_on_commit_callbacks):
    _stop(_metered_session(depot["connector"]), django_capture_on_commit_callbacks)
    response = api(org.analyst_a).get("/api/v1/sessions/export/")
    text = b"".join(response.streaming_content).decode()
    header, row = text.strip().splitlines()
    assert header.endswith("currency,cost_excl_tax,cost_tax,cost_total")
    assert row.endswith("North standard v1,EUR,5.0000,0.9500,5.9500")
    detail = api(org.analyst_a).get(f"/api/v1/sessions/{text.splitlines()[1].split(',')[0]}/").json()
    assert detail["cost_breakdown"]["total"] == "5.95"


def test_the_session_export_never_holds_a_live_formula_and_keeps_negative_figures_as_numbers(
    depot, org, api, django_capture_on_commit_callbacks
):
    site = depot["site"]
    site.name = "=cmd|' /C calc'!A0"
    site.save()
    customer = CustomerFactory(department=org.a, name="-2+3")
    session = _stop(_metered_session(depot["connector"], customer=customer), django_capture_on_commit_callbacks)
    ChargingSession.objects.filter(pk=session.pk).update(cost_tax=D("-0.95"))  # a credit note, say

    response = api(org.analyst_a).get("/api/v1/sessions/export/")
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))

    assert row["site"] == "'=cmd|' /C calc'!A0"
    assert row["customer"] == "'-2+3"
    assert row["cost_tax"] == "-0.9500" and row["cost_total"] == "5.9500"


def test_a_connector_promotion_ends_and_the_site_tariff_applies_again(depot, org):
    services.tariff_create(
        actor=None, name="Summer promo", department=org.a, currency="EUR", connector=depot["connector"],
        valid_from=datetime(2026, 6, 1, tzinfo=UTC), valid_until=datetime(2026, 9, 1, tzinfo=UTC),
        tax_percent=D("19"), elements=[{"price_components": [{"type": "ENERGY", "price": "0.15"}]}],
    )  # fmt: skip
    during = services.quote(connector=depot["connector"], start=T, energy_kwh=D("10"), power_kw=D("10"))
    after = services.quote(
        connector=depot["connector"], start=datetime(2026, 9, 2, 10, tzinfo=UTC), energy_kwh=D("10"), power_kw=D("10")
    )
    assert (during.version.tariff.name, after.version.tariff.name) == ("Summer promo", "North standard")
    with pytest.raises(services.ValidationError) as bad:
        services.tariff_create(
            actor=None, name="Backwards", department=org.a, currency="EUR", valid_from=T, valid_until=T,
            tax_percent=D("19"), elements=DAY_NIGHT,
        )  # fmt: skip
    assert "valid_until" in bad.value.message_dict


def test_a_separate_tariff_contract_replaces_the_posted_tariff(depot, org):
    own = services.tariff_create(
        actor=None, name="Fleet partner", department=org.a, currency="EUR", valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        tax_percent=D("19"), elements=[{"price_components": [{"type": "ENERGY", "price": "0.21"}]}],
    )  # fmt: skip
    customer = CustomerFactory(department=org.a)
    services.contract_create(
        actor=None, customer=customer, name="Partner", kind="tariff", tariff=own, valid_from=T - timedelta(days=1)
    )
    priced = services.quote(
        connector=depot["connector"], start=T, customer=customer, energy_kwh=D("10"), power_kw=D("10")
    )
    assert (priced.version.tariff.name, priced.result.total_excl_tax) == ("Fleet partner", D("2.10"))
    before = services.quote(
        connector=depot["connector"],
        start=T - timedelta(days=2),
        customer=customer,
        energy_kwh=D("10"),
        power_kw=D("10"),
    )
    assert before.version.tariff.name == "North standard"  # the contract had not started


def test_volume_tiers_count_the_customers_earlier_sessions_this_month(depot, org, django_capture_on_commit_callbacks):
    customer = CustomerFactory(department=org.a)
    services.contract_create(
        actor=None, customer=customer, name="Volume", kind="volume", valid_from=datetime(2026, 6, 1, tzinfo=UTC),
        tiers=[{"from_kwh": D(0), "discount_percent": D(0)}, {"from_kwh": D(30), "energy_price": D("0.10")}],
    )  # fmt: skip
    first = _stop(_metered_session(depot["connector"], customer=customer, transaction_id="v1"),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert first.cost_excl_tax == D("5.00")  # 20 kWh, below the tier: 10 × 0.20 + 10 × 0.30
    second = _stop(
        _metered_session(depot["connector"], customer=customer, start=T + timedelta(days=1), transaction_id="v2"),
        django_capture_on_commit_callbacks,
    )
    # 20 kWh this month before it: its first 10 kWh (night tier, 0.20) then 10 kWh at the tier's 0.10
    assert second.cost_excl_tax == D("3.00")
    next_month = _stop(
        _metered_session(depot["connector"], customer=customer, start=T + timedelta(days=25), transaction_id="v3"),
        django_capture_on_commit_callbacks,
    )
    assert next_month.cost_excl_tax == D("5.00")  # July starts from zero
