"""Smart charging of a site from the database: the plan under the site's limits, its explanation, the OCPP
charging profiles it sends (valid against the schemas, accepted by simulated stations), re-planning on events,
and the API's plan and what-if endpoints."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from analytics.models import SiteDay
from charging.models import ChargingPlan, ChargingSession, Circuit
from charging.services import smart, smart_inputs, smart_profiles
from charging.tests.factories import SessionFactory
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory, VehicleModelFactory
from pricing.tests.factories import DAY_NIGHT, TariffFactory, TariffVersionFactory
from simulation.battery.temperature import dc_power_factor
from stations.models import ChargePoint, OcppCommand
from stations.ocpp.commands import command_problem
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 17, 5, tzinfo=UTC)  # 18:05 in Berlin: day prices until 22:00


@pytest.fixture
def depot(org):
    site = SiteFactory(department=org.a, name="Smart depot", grid_limit_kw=D("15"), smart_charging=True)
    TariffVersionFactory(tariff=TariffFactory(department=org.a, site=site), elements=DAY_NIGHT)
    feeder = Circuit.objects.create(site=site, name="Feeder 1", max_power_kw=D("20"))
    cp = ChargePointFactory(site=site, identity="SMART-1", protocol="ocpp1.6", circuit=feeder, is_connected=True)
    ac = dict(connector_type="type2", current_type="ac", max_power_kw=D("22"), max_current_a=32)
    c1, c2, c3 = (ConnectorFactory(charge_point=cp, evse_id=i, **ac) for i in (1, 2, 3))
    model = VehicleModelFactory(name="Smart van", max_ac_kw=D("11"), usable_battery_kwh=D("64"))
    v1 = VehicleFactory(department=org.a, fleet_number="S-1", vehicle_model=model, soc_percent=20.0)
    v2 = VehicleFactory(department=org.a, fleet_number="S-2", vehicle_model=model, soc_percent=50.0,
                        priority_class="critical")  # fmt: skip
    s1 = SessionFactory(connector=c1, vehicle=v1, status="charging", started_at=NOW - timedelta(minutes=30),
                        ended_at=None, transaction_id="501", departure_at=NOW + timedelta(hours=10))  # fmt: skip
    s2 = SessionFactory(connector=c2, vehicle=v2, status="charging", started_at=NOW - timedelta(minutes=20),
                        ended_at=None, transaction_id="502", departure_at=NOW + timedelta(hours=6),
                        target_soc_percent=95.0)  # fmt: skip
    return {"site": site, "cp": cp, "c1": c1, "c2": c2, "c3": c3, "v1": v1, "v2": v2, "s1": s1, "s2": s2,
            "model": model, "feeder": feeder}  # fmt: skip


def _vehicle(plan, label):
    return next(v for v in plan.explanation["vehicles"] if v["label"] == label)


def test_the_plan_keeps_every_limit_and_charges_both_vehicles_to_80_percent_by_departure(depot):
    plan = smart.plan_site(site=depot["site"], trigger="manual", now=NOW, apply=False)
    assert plan.status == "optimal" and plan.intervals == 96
    site_kw = [sum(series[t] for series in plan.schedule.values()) for t in range(plan.intervals)]
    assert max(site_kw) <= 15.0 + 1e-6  # the site's grid limit (the feeder's 20 kW and 11 kW per van are looser)
    assert all(kw <= 11.0 + 1e-6 for series in plan.schedule.values() for kw in series)
    s1, s2 = _vehicle(plan, "S-1"), _vehicle(plan, "S-2")
    assert (s1["expected_soc_at_departure_percent"], s2["expected_soc_at_departure_percent"]) == (80.0, 80.0)
    assert s1["energy_needed_kwh"] == pytest.approx(0.60 * 64) and s2["energy_needed_kwh"] == pytest.approx(0.30 * 64)
    assert any("target capped at 80 %" in r for r in s2["reasons"])  # asked 95 %, no trip needs it
    # the night tier (22:00-07:00 local) is cheaper: S-1 (leaving at 03:05 local) charges mostly then
    night = [t for t in range(96) if plan.price[t] < 0.30]
    assert sum(plan.schedule[f"session-{depot['s1'].pk}"][t] for t in night) > 0.5 * sum(
        plan.schedule[f"session-{depot['s1'].pk}"]
    )


def test_a_critical_vehicle_comes_first_when_the_power_is_short(depot):
    depot["s2"].departure_at = NOW + timedelta(hours=1)  # needs 19.2 kWh in one hour through a 15 kW site
    depot["s2"].save()
    plan = smart.plan_site(site=depot["site"], trigger="manual", now=NOW, apply=False)
    critical = plan.schedule[f"session-{depot['s2'].pk}"]
    assert critical[:4] == [pytest.approx(11.0)] * 4  # its full rate in the hour it has
    assert _vehicle(plan, "S-2")["unmet_kwh"] == pytest.approx(19.2 - 11.0, abs=0.01)
    assert "short by departure" in " ".join(_vehicle(plan, "S-2")["reasons"])


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
def test_the_charging_profiles_validate_against_the_ocpp_schema(depot, protocol):
    ChargePoint.objects.filter(pk=depot["cp"].pk).update(protocol=protocol)
    plan = smart.plan_site(site=depot["site"], trigger="manual", now=NOW, apply=False)
    for session in ChargingSession.objects.filter(pk__in=[depot["s1"].pk, depot["s2"].pk]).select_related(
        "charge_point", "connector"
    ):
        action, payload = smart_profiles.profile_request(
            session, plan.schedule[f"session-{session.pk}"], plan.starts_at, NOW
        )
        assert command_problem(protocol=protocol, action=action, payload=payload) is None
        periods = (payload["chargingProfile"]["chargingSchedule"][0] if protocol == "ocpp2.0.1"
                   else payload["csChargingProfiles"]["chargingSchedule"])["chargingSchedulePeriod"]  # fmt: skip
        assert periods[0]["startPeriod"] == 0 and all(p["limit"] <= 11000.0 for p in periods)


def test_an_applied_plan_sends_each_session_its_profile_and_the_end_clears_it(
    depot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        smart.plan_site(site=depot["site"], trigger="manual", now=NOW, apply=True)
    sent = OcppCommand.objects.filter(charge_point=depot["cp"], action="SetChargingProfile")
    assert sorted(c.request["csChargingProfiles"]["transactionId"] for c in sent) == [501, 502]
    from charging.services import transactions

    with django_capture_on_commit_callbacks(execute=True):
        transactions.transaction_stop(charge_point_id=depot["cp"].pk, transaction_id="501", meter_stop_wh=9000.0,
                                          timestamp=timezone.now(), reason="EVDisconnected")  # fmt: skip
    cleared = OcppCommand.objects.get(charge_point=depot["cp"], action="ClearChargingProfile")
    assert cleared.request == {"id": depot["s1"].pk}
    assert ChargingPlan.objects.filter(site=depot["site"], trigger="departure").exists()  # re-planned


def test_a_fault_moves_the_power_to_the_other_vehicle(depot, django_capture_on_commit_callbacks):
    # both leave in 3 hours: 38.4 + 19.2 kWh through the site's 15 kW (45 kWh) leaves the normal S-1 short
    soon = timezone.now() + timedelta(hours=3)
    ChargingSession.objects.filter(pk__in=[depot["s1"].pk, depot["s2"].pk]).update(departure_at=soon)
    before = smart.plan_site(site=depot["site"], trigger="manual", apply=False)
    faulted, other = f"session-{depot['s2'].pk}", f"session-{depot['s1'].pk}"
    assert _vehicle(before, "S-2")["unmet_kwh"] == 0 and _vehicle(before, "S-1")["unmet_kwh"] > 10  # critical first
    from stations import services as station_services

    with django_capture_on_commit_callbacks(execute=True):
        station_services.connector_status_update(charge_point_id=depot["cp"].pk, evse_id=2, connector_id=1,
                                                 status="Faulted", error_code="GroundFailure")  # fmt: skip
    after = ChargingPlan.objects.filter(site=depot["site"], trigger="fault").get()
    assert sum(after.schedule[faulted]) == 0
    assert _vehicle(after, "S-1")["planned_kwh"] > _vehicle(before, "S-1")["planned_kwh"] + 5  # S-2's share
    assert max(after.schedule[other]) == pytest.approx(11.0)  # S-1 at its full rate
    (cannot,) = after.explanation["cannot_serve"]
    assert cannot["label"] == "S-2" and "faulted" in cannot["reason"]


def test_the_tick_replans_when_the_horizon_moves_or_a_limit_changes(depot):
    assert smart.smart_charging_tick(now=NOW) == {depot["site"].pk: "periodic"}
    assert smart.smart_charging_tick(now=NOW + timedelta(minutes=3)) == {}
    later = timezone.now() + timedelta(seconds=1)
    depot["site"].grid_limit_kw = D("12")
    depot["site"].save()
    assert smart.smart_charging_tick(now=NOW + timedelta(minutes=4)) in ({depot["site"].pk: "limit"},
                                                                        {depot["site"].pk: "periodic"})  # fmt: skip
    plan = smart.current_plan(depot["site"])
    assert max(sum(s[t] for s in plan.schedule.values()) for t in range(96)) <= 12.0 + 1e-6
    assert plan.created_at >= later - timedelta(seconds=5)


def test_the_api_reads_and_makes_a_sites_plan_and_scopes_it(org, api, depot):
    url = f"/api/v1/sites/{depot['site'].pk}/charging-plan/"
    assert api(org.fleet_manager_a).get(url).status_code == 404
    made = api(org.fleet_manager_a).post(url)
    assert made.status_code == 201 and made.json()["trigger"] == "manual"
    body = api(org.dispatcher_a).get(url).json()
    assert {v["label"] for v in body["explanation"]["vehicles"]} == {"S-1", "S-2"}
    assert api(org.fleet_manager_b).get(url).status_code == 404


def test_a_what_if_plan_is_explained_and_not_applied(org, api, depot):
    arrival = (timezone.now() + timedelta(hours=1)).isoformat()
    departure = (timezone.now() + timedelta(hours=9)).isoformat()
    incompatible = VehicleFactory(department=org.a, fleet_number="OLD",
                                  vehicle_model=VehicleModelFactory(inlets=["chademo"], max_dc_kw=D("50")))  # fmt: skip
    body = {"site": depot["site"].pk, "include_current": False, "vehicles": [
        {"vehicle": depot["v1"].pk, "connector": depot["c3"].pk, "arrival": arrival, "departure": departure},
        {"vehicle": incompatible.pk, "connector": depot["c3"].pk, "soc_percent": 30},
    ]}  # fmt: skip
    response = api(org.fleet_manager_a).post("/api/v1/smart-charging/what-if/", body, format="json")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["applied"] is False and plan["trigger"] == "what_if"
    assert [v["label"] for v in plan["explanation"]["vehicles"]][0] == "S-1"
    (cannot,) = plan["explanation"]["cannot_serve"]
    assert cannot["label"] == "OLD" and "CHAdeMO" in cannot["reason"] or "chademo" in cannot["reason"].lower()
    assert not OcppCommand.objects.filter(action="SetChargingProfile").exists()


@pytest.mark.parametrize(
    ("vehicle", "field", "words"),
    [
        ({"soc_percent": 60, "target_soc_percent": 40}, "target_soc_percent", "below the current SoC"),
        ({"arrival": "2026-11-25T10:00:00Z", "departure": "2026-11-25T09:00:00Z"}, "departure", "after the arrival"),
    ],
)
def test_what_if_refuses_bad_vehicles_naming_the_field(org, api, depot, vehicle, field, words):
    body = {"site": depot["site"].pk, "vehicles": [{"connector": depot["c3"].pk, **vehicle}]}
    response = api(org.fleet_manager_a).post("/api/v1/smart-charging/what-if/", body, format="json")
    assert response.status_code == 400
    assert words in str(response.json())


def test_a_circuit_cannot_belong_to_another_site_or_carry_nothing(org, api, depot):
    other = SiteFactory(department=org.a)
    parent = Circuit.objects.create(site=other, name="Other feeder", max_power_kw=D("50"))
    response = api(org.fleet_manager_a).post("/api/v1/circuits/", {"site": depot["site"].pk, "name": "F2",
                                             "parent": parent.pk, "max_power_kw": "30"}, format="json")  # fmt: skip
    assert response.status_code == 400 and "same site" in str(response.json())
    response = api(org.fleet_manager_a).post("/api/v1/circuits/", {"site": depot["site"].pk, "name": "F3",
                                             "max_power_kw": "0"}, format="json")  # fmt: skip
    assert response.status_code == 400 and "max_power_kw" in response.json()["fields"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
def test_a_simulated_station_accepts_the_profile_of_an_arrival_and_its_clearing(org, asgi_live_server, protocol):
    """The station side of the `ocpp` library validates every request against the OCPP schema before answering:
    Accepted means the profile was valid."""
    import asyncio

    from charging import services
    from stations.models import CompatibilityRule
    from stations.simulator import Behaviour, ConnectorSpec, StationSpec, run_stations

    CompatibilityRule.objects.get_or_create(inlet="type2", connector_type="type2", adapter="")  # flushed tables
    site = SiteFactory(department=org.a, grid_limit_kw=D("7"), smart_charging=True)
    cp = ChargePointFactory(site=site, identity="SIM-SMART", protocol=protocol)
    connector = ConnectorFactory(charge_point=cp, evse_id=1, connector_type="type2", current_type="ac",
                                 max_power_kw=D("22"))  # fmt: skip
    vehicle = VehicleFactory(department=org.a, fleet_number="VAN-SC", soc_percent=30.0)
    quiet = Behaviour(heartbeat_s=60, meter_s=1, plug_in_chance=0.0, fault_chance=0.0, session_ticks=(500, 600))
    spec = StationSpec("SIM-SMART", protocol, [ConnectorSpec(1, 22.0)])

    from tests.stations import closing, wait_for

    async def scenario():
        stop = asyncio.Event()
        base = asgi_live_server.replace("http://", "ws://")
        stations = asyncio.ensure_future(run_stations(base, [spec], quiet, stop))
        await wait_for(ChargePoint.objects.filter(pk=cp.pk, is_connected=True, connectors__status="Available").exists,
                       "the station")  # fmt: skip
        session = await asyncio.to_thread(
            closing(services.session_start, actor=None, vehicle=vehicle, connector=connector)
        )
        profile = OcppCommand.objects.filter(charge_point=cp, action="SetChargingProfile", state="accepted")
        await wait_for(profile.exists, "the accepted SetChargingProfile")
        running = await asyncio.to_thread(closing(ChargingSession.objects.get, pk=session.pk))
        await asyncio.to_thread(closing(services.session_stop, actor=None, session=running))
        cleared = OcppCommand.objects.filter(charge_point=cp, action="ClearChargingProfile", state="accepted")
        await wait_for(cleared.exists, "the accepted ClearChargingProfile")
        stop.set()
        await stations

    asyncio.run(scenario())
    command = OcppCommand.objects.get(charge_point=cp, action="SetChargingProfile")
    periods = (command.request["chargingProfile"]["chargingSchedule"][0] if protocol == "ocpp2.0.1"
               else command.request["csChargingProfiles"]["chargingSchedule"])["chargingSchedulePeriod"]  # fmt: skip
    assert max(p["limit"] for p in periods) <= 7000.0  # the site's 7 kW


def test_the_smart_charging_pages_show_the_plan_and_are_scoped(org, client, depot):
    smart.plan_site(site=depot["site"], trigger="manual", apply=False)
    client.force_login(org.fleet_manager_a)
    overview = client.get("/smart-charging/").content.decode()
    assert "Smart depot" in overview and "vehicle(s)" in overview
    page = client.get(f"/smart-charging/sites/{depot['site'].pk}/").content.decode()
    assert 'data-testid="chart-plan"' in page and "S-1" in page and "S-2" in page
    assert "target capped at 80 %" in page
    replanned = client.post(f"/smart-charging/sites/{depot['site'].pk}/replan/")
    assert replanned.status_code == 302 and ChargingPlan.objects.filter(trigger="manual").count() == 2
    client.force_login(org.fleet_manager_b)
    assert client.get(f"/smart-charging/sites/{depot['site'].pk}/").status_code == 404


@pytest.mark.parametrize("extra_sites", [0, 5])
def test_the_smart_charging_overview_runs_a_constant_number_of_queries(org, client, depot, extra_sites,
                                                                        django_assert_max_num_queries):  # fmt: skip
    for _ in range(extra_sites):
        site = SiteFactory(department=org.a)
        ChargingPlan.objects.create(site=site, trigger="periodic", starts_at=NOW, intervals=4, status="optimal",
                                    solve_ms=1.0)  # fmt: skip
    client.force_login(org.fleet_manager_a)
    client.get("/")
    with django_assert_max_num_queries(12):
        assert client.get("/smart-charging/").status_code == 200


def test_a_limit_of_zero_in_the_database_gives_a_refused_plan_not_a_crash(depot):
    Circuit.objects.filter(pk=depot["feeder"].pk).update(max_power_kw=D("0"))  # past the validators
    plan = smart.plan_site(site=depot["site"], trigger="manual", now=NOW)
    assert plan.status == "invalid" and not plan.applied
    assert "must be above 0 kW" in str(plan.explanation["errors"])
    assert not OcppCommand.objects.filter(action="SetChargingProfile").exists()


def test_a_sessions_departure_and_target_are_set_through_the_api_and_replan(
    org, api, depot, django_capture_on_commit_callbacks
):
    url = f"/api/v1/sessions/{depot['s1'].pk}/needs/"
    leaving = (timezone.now() + timedelta(hours=5)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(org.dispatcher_a).post(url, {"departure_at": leaving, "target_soc_percent": 90}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["target_soc_percent"] == 90.0
    assert ChargingPlan.objects.filter(site=depot["site"], trigger="manual").exists()  # re-planned at once
    too_low = api(org.dispatcher_a).post(url, {"target_soc_percent": 10}, format="json")
    assert too_low.status_code == 400 and "below the vehicle's SoC now" in str(too_low.json())
    past = api(org.dispatcher_a).post(url, {"departure_at": "2020-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400 and "in the future" in str(past.json())


def test_the_station_soc_of_a_charging_vehicle_is_newer_than_its_telemetry(depot):
    from charging.models import MeterSample

    MeterSample.objects.create(connector=depot["c1"], session=depot["s1"], sampled_at=timezone.now(),
                               soc_percent=70.0, energy_wh=1000.0)  # fmt: skip
    plan = smart.plan_site(site=depot["site"], trigger="manual", now=NOW, apply=False)
    assert _vehicle(plan, "S-1")["soc_percent"] == 70.0
    assert _vehicle(plan, "S-1")["energy_needed_kwh"] == pytest.approx(0.10 * 64)


def test_a_session_held_at_zero_by_the_plan_raises_no_energy_flow_alert(depot, settings):
    from charging.detection import check_energy_flow
    from stations.models import Alert

    start = smart_inputs.horizon_start(timezone.now()) - timedelta(hours=1)
    ChargingPlan.objects.create(site=depot["site"], trigger="manual", starts_at=start, intervals=96,
                                status="optimal", solve_ms=1.0, applied=True,
                                schedule={f"session-{depot['s1'].pk}": [0.0] * 96,
                                          f"session-{depot['s2'].pk}": [11.0] * 96})  # fmt: skip
    type(depot["c1"]).objects.filter(pk__in=[depot["c1"].pk, depot["c2"].pk]).update(status="Charging")
    ChargingSession.objects.filter(pk__in=[depot["s1"].pk, depot["s2"].pk]).update(
        started_at=timezone.now() - timedelta(hours=1)
    )
    check_energy_flow()
    alerts = Alert.objects.filter(kind=Alert.Kind.NO_ENERGY_FLOW)
    assert [a.connector_id for a in alerts] == [depot["c2"].pk]  # the paused S-1 is not an alert


def test_a_demand_charge_flattens_the_plan_and_this_months_peak_so_far_is_free(depot):
    site = depot["site"]
    plain = smart.plan_site(site=site, trigger="manual", now=NOW, apply=False)
    tariff = site.tariffs.get()
    tariff.demand_charge_per_kw = D("40")
    tariff.save()
    local_today = NOW.astimezone(ZoneInfo(site.time_zone)).date()
    # last month's higher peak is another billing period
    SiteDay.objects.create(site=site, department=site.department, day=local_today.replace(day=1) - timedelta(days=1),
                           peak_kw=15.0)  # fmt: skip
    flat = smart.plan_site(site=site, trigger="manual", now=NOW, apply=False)
    assert flat.explanation["peak_so_far_kw"] == 0.0
    assert flat.explanation["planned_peak_kw"] < plain.explanation["planned_peak_kw"] - 1.0
    assert all(v["unmet_kwh"] == 0 for v in flat.explanation["vehicles"])  # flatter, and still everyone served
    assert "planned peak" in flat.explanation["summary"]
    # 15 kW were drawn this month already: up to it power costs no more, so the plan is the plain one again
    SiteDay.objects.create(site=site, department=site.department, day=local_today.replace(day=1), peak_kw=15.0)
    paid = smart.plan_site(site=site, trigger="manual", now=NOW, apply=False)
    assert paid.explanation["peak_so_far_kw"] == 15.0
    assert paid.energy_cost == pytest.approx(plain.energy_cost, abs=D("0.01"))
    assert paid.explanation["planned_peak_kw"] == pytest.approx(plain.explanation["planned_peak_kw"], abs=0.01)


def test_old_plans_and_what_ifs_are_pruned_but_each_sites_current_plan_stays(depot, settings):
    settings.SMART_CHARGING_PLAN_RETENTION_DAYS = 30
    other = SiteFactory(department=depot["site"].department, name="Idle depot")

    def plan(site, age, trigger="periodic", status="optimal"):
        made = ChargingPlan.objects.create(site=site, trigger=trigger, starts_at=NOW, intervals=4, status=status,
                                           solve_ms=1.0)  # fmt: skip
        ChargingPlan.objects.filter(pk=made.pk).update(created_at=NOW - age)
        return made.pk

    site = depot["site"]
    gone = [plan(site, timedelta(days=50)), plan(site, timedelta(days=40)), plan(other, timedelta(days=50)),
            plan(other, timedelta(days=39), status="invalid"),
            plan(site, timedelta(days=2), trigger="what_if")]  # fmt: skip
    kept = [plan(site, timedelta(hours=1)), plan(other, timedelta(days=40)),  # each site's current plan
            plan(site, timedelta(hours=2), trigger="what_if"), plan(site, timedelta(days=29))]  # fmt: skip
    assert smart.prune_plans(now=NOW) == len(gone)
    assert set(ChargingPlan.objects.values_list("pk", flat=True)) == set(kept)
    assert smart.current_plan(other).pk == kept[1]


def test_under_a_demand_charge_last_weeks_arrivals_are_planned_as_expected_vehicles(org, client, depot):
    site = depot["site"]
    week = timedelta(days=7)
    v3 = VehicleFactory(department=org.a, fleet_number="S-3", vehicle_model=depot["model"], soc_percent=30.0)
    c3 = depot["c3"]
    # S-3 came at 20:05 local last week and took 24 kWh until 06:05; S-1 (plugged in now) came too: not twice
    came = SessionFactory(connector=c3, vehicle=v3, started_at=NOW + timedelta(hours=2) - week,
                          ended_at=NOW + timedelta(hours=12) - week, energy_kwh=24.0, transaction_id="601")  # fmt: skip
    SessionFactory(connector=c3, vehicle=depot["v1"], started_at=NOW + timedelta(hours=3) - week,
                   ended_at=NOW + timedelta(hours=5) - week, energy_kwh=10.0, transaction_id="602")  # fmt: skip
    SessionFactory(connector=c3, vehicle=v3, started_at=NOW - timedelta(hours=3) - week,  # before now: it happened
                   ended_at=NOW - timedelta(hours=1) - week, energy_kwh=5.0, transaction_id="603")  # fmt: skip
    plain = smart.plan_site(site=site, trigger="manual", now=NOW, apply=False)
    assert plain.explanation["expected"] == [] and not any(k.startswith("expected-") for k in plain.schedule)
    tariff = site.tariffs.get()
    tariff.demand_charge_per_kw = D("40")
    tariff.save()
    plan = smart.plan_site(site=site, trigger="manual", now=NOW, apply=False)
    (expected,) = plan.explanation["expected"]
    assert expected["id"] == f"expected-{came.pk}" and expected["label"] == "expected: S-3"
    assert expected["energy_kwh"] == 24.0 and expected["planned_kwh"] == pytest.approx(24.0, abs=0.01)
    series = plan.schedule[expected["id"]]
    assert sum(series[:8]) == 0 and sum(series[8:49]) == pytest.approx(24.0 * 4, abs=0.05)  # 20:05 to 06:05
    assert [v["label"] for v in plan.explanation["vehicles"]] == ["S-1", "S-2"]
    site_kw = [sum(s[t] for s in plan.schedule.values()) for t in range(plan.intervals)]
    assert max(site_kw) <= 15.0 + 1e-6
    assert smart_profiles.profiles_send(plan, now=NOW) == 2  # the placeholder is never sent to a station
    client.force_login(org.fleet_manager_a)
    page = client.get(f"/smart-charging/sites/{site.pk}/")
    assert page.status_code == 200 and "Expected arrivals" in page.content.decode()


def test_an_expected_arrival_keeps_its_local_time_across_the_change_to_summer_time(depot):
    # Europe/Berlin went to summer time on Sunday 29 March 2026: last Monday's 18:00 (17:00 UTC) is this Monday's
    # 18:00, which is 16:00 UTC
    site = depot["site"]
    tariff = site.tariffs.get()
    tariff.demand_charge_per_kw = D("40")
    tariff.save()
    now = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    v3 = VehicleFactory(department=site.department, fleet_number="S-3", vehicle_model=depot["model"])
    came = SessionFactory(connector=depot["c3"], vehicle=v3, started_at=datetime(2026, 3, 23, 17, 0, tzinfo=UTC),
                          ended_at=datetime(2026, 3, 23, 21, 0, tzinfo=UTC), energy_kwh=20.0)  # fmt: skip
    start = smart_inputs.horizon_start(now)
    ((request, meta),) = smart_inputs.expected_arrivals(site, start, 96, now, known_vehicles=set())
    assert request.id == f"expected-{came.pk}" and request.priority == "expected" and request.node == "site"
    assert request.arrival == (datetime(2026, 3, 30, 16, 0, tzinfo=UTC) - start) // timedelta(minutes=15)
    assert meta["departure_at"] == datetime(2026, 3, 30, 20, 0, tzinfo=UTC)


def test_the_peak_so_far_is_not_free_when_the_horizon_reaches_into_the_next_month(depot):
    site = depot["site"]
    SiteDay.objects.create(site=site, department=site.department, day=datetime(2026, 11, 2).date(), peak_kw=12.0)
    mid_month = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert smart_inputs.peak_so_far_kw(site, mid_month, mid_month + timedelta(hours=24)) == 12.0
    last_day = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 18:00 in Berlin: the horizon runs into December
    assert smart_inputs.peak_so_far_kw(site, last_day, last_day + timedelta(hours=24)) == 0.0
    assert smart_inputs.peak_so_far_kw(site, last_day, last_day + timedelta(hours=5)) == 12.0  # to 23:00 local


# --- a what-if plans with a real plan's inputs (issue 13, item 15) -------------------------------------------------


@pytest.fixture
def cold(org, depot):
    """A DC connector of 50 kW at the depot, and a van whose newest telemetry says its battery is at -5 °C."""
    dc = ConnectorFactory(charge_point=depot["cp"], evse_id=4, max_power_kw=D("50"))  # CCS, DC
    model = VehicleModelFactory(name="Cold van", max_dc_kw=D("50"), usable_battery_kwh=D("64"))
    vehicle = VehicleFactory(department=org.a, fleet_number="COLD", vehicle_model=model, soc_percent=30.0)
    TelemetryPointFactory(vehicle=vehicle, recorded_at=NOW - timedelta(hours=3), battery_temperature_c=12.0)
    TelemetryPointFactory(vehicle=vehicle, recorded_at=NOW - timedelta(minutes=10), battery_temperature_c=-5.0)
    return {"dc": dc, "vehicle": vehicle, "model": model}


def _what_if_vehicle(plan, index: int = 0) -> dict:
    return next(v for v in plan.explanation["vehicles"] if v["id"] == f"what-if-{index}")


def test_a_what_if_derates_a_cold_battery_as_the_real_plan_does(depot, cold):
    # the what-if once planned 50 kW for the van the real plan derates (the battery model's share at -5 °C)
    cold_kw = round(50.0 * dc_power_factor(-5.0, 100.0)[0], 1)
    assert cold_kw < 25.0  # at -5 °C the lithium-plating limit leaves well under half
    SessionFactory(connector=cold["dc"], vehicle=cold["vehicle"], status="charging", ended_at=None,
                   started_at=NOW - timedelta(minutes=5), transaction_id="503",
                   departure_at=NOW + timedelta(hours=8))  # fmt: skip
    real = smart.plan_site(site=depot["site"], trigger=ChargingPlan.Trigger.MANUAL, now=NOW, apply=False)
    what = smart.what_if(site=depot["site"], vehicles=[{"vehicle": cold["vehicle"], "connector": cold["dc"]}],
                         include_current=False, now=NOW)  # fmt: skip
    for vehicle in (_vehicle(real, "COLD"), _what_if_vehicle(what)):
        assert vehicle["max_kw"] == cold_kw
        assert any("-5 °C" in reason for reason in vehicle["reasons"]), vehicle["reasons"]


def test_a_what_if_takes_the_battery_temperature_and_health_it_is_given(org, api, depot, cold):
    # a van with no telemetry at all, told -5 °C: the cold share of 50 kW; told 65 % health at 20 °C: the worn
    # battery's share, and less energy
    cold_kw = round(50.0 * dc_power_factor(-5.0, 100.0)[0], 1)
    worn_kw = round(50.0 * dc_power_factor(20.0, 65.0)[0], 1)
    assert cold_kw < worn_kw < 50.0
    fresh = VehicleFactory(department=org.a, fleet_number="FRESH", vehicle_model=cold["model"], soc_percent=30.0)
    url, site, dc = "/api/v1/smart-charging/what-if/", depot["site"].pk, cold["dc"].pk
    vehicles = [{"vehicle": fresh.pk, "connector": dc, "battery_temperature_c": -5},
                {"vehicle": fresh.pk, "connector": dc, "battery_temperature_c": 20, "state_of_health_percent": 65},
                {"vehicle": fresh.pk, "connector": dc}]  # fmt: skip
    response = api(org.fleet_manager_a).post(url, {"site": site, "include_current": False, "vehicles": vehicles},
                                             format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    planned = {v["id"]: v for v in response.json()["explanation"]["vehicles"]}
    assert planned["what-if-0"]["max_kw"] == cold_kw
    assert planned["what-if-1"]["max_kw"] == worn_kw
    assert planned["what-if-1"]["energy_needed_kwh"] == pytest.approx((80 - 30) / 100 * 64 * 0.65, abs=0.01)
    assert planned["what-if-2"]["max_kw"] == 50.0  # nothing known: no derating


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("battery_temperature_c", -90),
        ("battery_temperature_c", -41),
        ("battery_temperature_c", 61),
        ("battery_temperature_c", 1e308),
        ("state_of_health_percent", 0),
        ("state_of_health_percent", 120),
    ],
)
def test_a_what_if_refuses_an_impossible_temperature_or_health_naming_the_field(org, api, depot, cold, field, value):
    body = {"site": depot["site"].pk, "vehicles": [{"connector": cold["dc"].pk, field: value}]}
    response = api(org.fleet_manager_a).post("/api/v1/smart-charging/what-if/", body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
