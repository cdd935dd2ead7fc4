"""Bad input the API fuzz found: each refused with a 400 naming the field (or a JSON 404 for an address), and
nothing stored. Ids are whole numbers everywhere, numbers and dates have sane bounds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import CarbonIntensity, CarbonOffset, CarbonZone
from charging.models import Circuit, Reservation
from fleet.models import Vehicle
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory, VehicleModelFactory, make_vin
from operations.models import Trip
from stations.models import MaintenanceWindow
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def depot(org):
    site = SiteFactory(department=org.a)
    charge_point = ChargePointFactory(site=site)
    connector = ConnectorFactory(charge_point=charge_point)
    vehicle = VehicleFactory(department=org.a)
    return {"site": site, "charge_point": charge_point, "connector": connector, "vehicle": vehicle}


def _fraction(obj) -> float:
    """An id that the database lookup used to cut back to `obj`'s own: 7 -> 7.5."""
    return obj.pk + 0.5


def _first_error(response, field: str) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["fields"][field][0]


# (endpoint, model whose rows must not grow, body given the depot, the field holding the fractional id)
FRACTIONAL_ID_CASES = {
    "vehicle's model": (
        "/api/v1/vehicles/",
        Vehicle,
        lambda d, org: {
            "vin": make_vin(4242),
            "department": org.a.pk,
            "vehicle_model": _fraction(d["vehicle"].vehicle_model),
        },
        "vehicle_model",
    ),
    "circuit's site": (
        "/api/v1/circuits/",
        Circuit,
        lambda d, org: {"site": _fraction(d["site"]), "name": "Feeder", "max_power_kw": "50"},
        "site",
    ),
    "maintenance window's charge point": (
        "/api/v1/maintenance-windows/",
        MaintenanceWindow,
        lambda d, org: {
            "charge_point": _fraction(d["charge_point"]),
            "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "ends_at": (timezone.now() + timedelta(days=1, hours=2)).isoformat(),
            "reason": "Inspection",
        },
        "charge_point",
    ),
    "reservation's vehicle": (
        "/api/v1/reservations/",
        Reservation,
        lambda d, org: {
            "vehicle": _fraction(d["vehicle"]),
            "site": d["site"].pk,
            "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "ends_at": (timezone.now() + timedelta(days=1, hours=2)).isoformat(),
        },
        "vehicle",
    ),
    "trip's vehicle": (
        "/api/v1/trips/",
        Trip,
        lambda d, org: {
            "vehicle": _fraction(d["vehicle"]),
            "depot": d["site"].pk,
            "departs_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "returns_at": (timezone.now() + timedelta(days=1, hours=2)).isoformat(),
            "distance_km": 50,
        },
        "vehicle",
    ),
    "what-if connector (nested)": (
        "/api/v1/smart-charging/what-if/",
        None,
        lambda d, org: {"site": d["site"].pk, "vehicles": [{"connector": _fraction(d["connector"])}]},
        "vehicles.0.connector",
    ),
}


@pytest.mark.parametrize("case", FRACTIONAL_ID_CASES, ids=list(FRACTIONAL_ID_CASES))
def test_a_fractional_id_is_refused_naming_the_field_instead_of_being_cut_to_a_whole_one(org, api, depot, case):
    url, model, body, field = FRACTIONAL_ID_CASES[case]
    before = model.objects.count() if model else None
    response = api(org.admin).post(url, body(depot, org), format="json")
    error = _first_error(response, field)
    assert error["code"] == "incorrect_type" and "whole number" in error["message"]
    if model is not None:
        assert model.objects.count() == before


@pytest.mark.parametrize("value", ["3.5", 3.0, True, "1_2", "１２", 2**70, 0])
def test_every_related_id_is_a_whole_positive_64_bit_number(org, api, depot, value):
    body = {"site": value, "name": "Feeder", "max_power_kw": "50"}
    response = api(org.admin).post("/api/v1/circuits/", body, format="json")
    assert response.status_code == 400 and "site" in response.json()["fields"]
    assert not Circuit.objects.exists()


def test_a_related_id_may_still_come_as_digits_in_a_form_body(org, api, depot):
    body = {"site": str(depot["site"].pk), "name": "Feeder", "max_power_kw": "50"}
    assert api(org.admin).post("/api/v1/circuits/", body).status_code == 201


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/telemetry/?vehicle={vehicle}.5", "vehicle"),
        ("/api/v1/vehicles/?department_tree={department}.5", "department_tree"),
        ("/api/v1/sessions/?site={site}.5", "site"),
        ("/api/v1/vehicles/{vehicle}/compatible-connectors/?site=²", "site"),
        ("/api/v1/reservations/alternatives/?vehicle=²", "vehicle"),
        ("/api/v1/trips/?vehicle={vehicle}.5", "vehicle"),
    ],
)
def test_an_id_in_a_query_is_a_whole_number_or_a_400_naming_the_parameter(org, api, depot, url, field):
    TelemetryPointFactory(vehicle=depot["vehicle"], recorded_at=timezone.now())
    ids = {"vehicle": depot["vehicle"].pk, "department": org.a.pk, "site": depot["site"].pk}
    response = api(org.admin).get(url.format(**ids))
    assert _first_error(response, field)["code"] == "invalid"


@pytest.mark.parametrize("path", ["{pk}.5", "0_{pk}", "{pk}abc", "-{pk}"])
def test_a_malformed_id_in_a_path_is_a_json_404_not_another_object(org, api, depot, path):
    url = f"/api/v1/vehicles/{path.format(pk=depot['vehicle'].pk)}/"
    response = api(org.admin).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_an_unknown_address_under_the_api_answers_in_the_api_error_shape(org, api):
    response = api(org.admin).get("/api/v1/no-such-collection/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert "whole numbers" in response.json()["message"]


def test_a_server_error_under_the_api_answers_in_the_api_error_shape(rf):
    from django.urls import get_resolver

    handler = get_resolver().resolve_error_handler(500)
    api_response = handler(rf.get("/api/v1/vehicles/"))
    assert api_response.status_code == 500 and api_response["Content-Type"] == "application/json"
    assert b'"code": "server_error"' in api_response.content
    assert handler(rf.get("/fleet/")).status_code == 500  # pages keep Django's HTML page
    assert handler(rf.get("/fleet/"))["Content-Type"].startswith("text/html")


def test_a_what_if_refuses_an_astronomical_trip_energy(org, api, depot):
    body = {"site": depot["site"].pk, "vehicles": [{"connector": depot["connector"].pk, "next_trip_kwh": 1e308}]}
    response = api(org.fleet_manager_a).post("/api/v1/smart-charging/what-if/", body, format="json")
    assert _first_error(response, "vehicles.0.next_trip_kwh")["code"] == "max_value"


def test_a_negative_offset_price_is_refused(org, api):
    body = {"department": org.a.pk, "registry": "Verra", "quantity_t_co2e": "2.000", "vintage": 2025,
            "retired_on": "2026-03-01", "price_total": "-40.00", "currency": "EUR"}  # fmt: skip
    response = api(org.fleet_manager_a).post("/api/v1/carbon-offsets/", body, format="json")
    assert _first_error(response, "price_total")["code"] == "min_value"
    assert not CarbonOffset.objects.exists()


@pytest.mark.parametrize("moment", ["0264-11-27T17:25:57Z", "2999-01-01T00:00:00Z"])
def test_a_time_outside_1970_to_2199_is_refused(org, api, depot, moment):
    body = {"charge_point": depot["charge_point"].pk, "starts_at": moment,
            "ends_at": "2026-12-01T10:00:00Z", "reason": "Inspection"}  # fmt: skip
    response = api(org.fleet_manager_a).post("/api/v1/maintenance-windows/", body, format="json")
    assert _first_error(response, "starts_at")["code"] == "out_of_range"


def test_an_empty_carbon_intensity_feed_is_a_400_not_a_silent_success(org, api):
    zone = CarbonZone.objects.get_or_create(code="DE", defaults={"name": "Germany", "gco2e_per_kwh": 380.0})[0]
    response = api(org.admin).post("/api/v1/carbon-intensities/", [], format="json")
    assert _first_error(response, "non_field_errors")["code"] == "empty"
    feed = [{"zone": zone.code, "hour_start": "2026-03-01T10:00:00Z", "gco2e_per_kwh": 300.0}]
    assert api(org.admin).post("/api/v1/carbon-intensities/", feed, format="json").status_code == 201
    assert CarbonIntensity.objects.count() == 1


def test_sending_a_report_nobody_would_receive_is_a_400_naming_the_recipients(org, api):
    from analytics.models import ReportRun, SavedReport

    owner = org.fleet_manager_a
    owner.email = ""
    owner.save()
    report = SavedReport.objects.create(name="Energy", owner=owner, department=org.a, metrics=["sessions"],
                                        grouping="site", period="last_7_days", recipients="")  # fmt: skip
    response = api(owner).post(f"/api/v1/reports/{report.pk}/send/")
    assert _first_error(response, "recipients")["message"].startswith("The report has no recipients")
    assert not ReportRun.objects.exists()


def test_a_tariff_preview_refuses_a_fractional_customer_or_version(org, api):
    from pricing.tests.factories import TariffFactory, TariffVersionFactory

    tariff = TariffFactory(department=org.a)
    TariffVersionFactory(tariff=tariff, number=1)
    for name in ("customer", "version"):
        response = api(org.fleet_manager_a).get(f"/api/v1/tariffs/{tariff.pk}/preview/?{name}=1.5")
        assert _first_error(response, name)["code"] == "invalid"


def test_the_analytics_report_refuses_an_id_beyond_64_bits(org, api):
    response = api(org.fleet_manager_a).get(f"/api/v1/analytics/report/?metrics=sessions&site={2**70}")
    assert str(2**70) in _first_error(response, "site")["message"]  # not an OverflowError (a 500) in SQLite


def test_a_whole_id_still_finds_its_object(org, api):
    model = VehicleModelFactory()
    body = {"vin": make_vin(77), "department": org.a.pk, "vehicle_model": model.pk}
    assert api(org.admin).post("/api/v1/vehicles/", body, format="json").status_code == 201
    assert Vehicle.objects.get().vehicle_model == model


def test_a_control_character_in_text_is_refused_naming_the_field(org, api):
    """A saved report named "Energy\\x07" was stored, and its XLSX export then failed (a 500)."""
    from analytics.models import SavedReport

    body = {"name": "Energy\x07", "department": org.a.pk, "metrics": ["sessions"], "grouping": "site",
            "period": "last_7_days", "format": "xlsx"}  # fmt: skip
    response = api(org.fleet_manager_a).post("/api/v1/reports/", body, format="json")
    error = _first_error(response, "name")
    assert error["code"] == "control_character" and "U+0007" in error["message"]
    assert not SavedReport.objects.exists()
    body["name"] = "Energy\tby site\r\n"  # tabs and line breaks are text
    assert api(org.fleet_manager_a).post("/api/v1/reports/", body, format="json").status_code == 201


def test_a_client_address_that_is_no_ip_is_logged_as_unknown_not_a_500(org, api):
    """PostgreSQL's inet column refused "testclient" (an in-process ASGI client's address): every write was a 500."""
    from accounts.models import ActivityLog

    client = api(org.admin)
    response = client.post("/api/v1/departments/", {"name": "Depot C"}, format="json", REMOTE_ADDR="testclient")
    assert response.status_code == 201
    assert ActivityLog.objects.filter(object_repr__contains="Depot C").get().ip_address is None


@pytest.mark.parametrize("moment", ["1416-02-12T14:56:05%2B17:20", "2026-11-24T08:00:00%2B15:00", "1969-12-31T23:00Z"])
def test_a_time_filter_out_of_range_is_a_400_not_a_database_error(org, api, moment):
    response = api(org.admin).get(f"/api/v1/reservations/?after={moment}")
    assert _first_error(response, "after")["code"] == "out_of_range"


def test_a_time_query_parameter_out_of_range_is_a_400_naming_it(org, api, depot):
    url = f"/api/v1/connectors/{depot['connector'].pk}/availability/?start=2026-11-01T00:00:00%2B17:20"
    assert _first_error(api(org.admin).get(url), "start")["code"] == "out_of_range"
