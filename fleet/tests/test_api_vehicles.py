import pytest
from django.urls import reverse

from charging.tests.factories import plugged_in
from fleet.models import Vehicle
from fleet.tests.factories import TelemetryPointFactory, VehicleFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db


def _payload(org, **overrides):
    model = VehicleModelFactory()
    data = {
        "vin": "WVWZZZE1ZPP000101",
        "license_plate": "B-EV 101",
        "fleet_number": "V-101",
        "department": org.a1.pk,
        "vehicle_model": model.pk,
        "status": "active",
        "priority_class": "critical",
    }
    data.update(overrides)
    return data


def test_a_fleet_manager_creates_a_vehicle_in_a_team_of_their_department(org, api):
    response = api(org.fleet_manager_a).post("/api/v1/vehicles/", _payload(org), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["vin"] == "WVWZZZE1ZPP000101"
    assert body["department_name"] == "Team A1"
    assert Vehicle.objects.get(vin="WVWZZZE1ZPP000101").priority_class == "critical"


def test_a_vin_is_normalised_to_upper_case(org, api):
    response = api(org.fleet_manager_a).post("/api/v1/vehicles/", _payload(org, vin="wvwzzze1zpp000102"), format="json")
    assert response.status_code == 201
    assert response.json()["vin"] == "WVWZZZE1ZPP000102"


@pytest.mark.parametrize(
    ("vin", "code"),
    [
        ("WVWZZZE1ZPP00010", "vin_length"),
        ("WVWZZZE1ZPP0001OI", "vin_forbidden_letter"),
        ("WVWZZZE1ZPP00010-", "vin_characters"),
    ],
)
def test_it_rejects_bad_vins_with_a_code_and_a_fix(org, api, vin, code):
    response = api(org.fleet_manager_a).post("/api/v1/vehicles/", _payload(org, vin=vin), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "vin" in body["message"]
    assert body["fields"]["vin"][0]["code"] == code
    assert Vehicle.objects.count() == 0


def test_it_rejects_a_duplicate_vin(org, api):
    VehicleFactory(vin="WVWZZZE1ZPP000103", department=org.b)
    response = api(org.fleet_manager_a).post("/api/v1/vehicles/", _payload(org, vin="WVWZZZE1ZPP000103"), format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["vin"][0]["code"] == "unique"


def test_it_rejects_unknown_fields_naming_the_writable_ones(org, api):
    response = api(org.fleet_manager_a).post("/api/v1/vehicles/", _payload(org, priority="critical"), format="json")
    assert response.status_code == 400
    error = response.json()["fields"]["priority"][0]
    assert error["code"] == "unknown_field"
    assert "priority_class" in error["message"]


def test_it_rejects_wrong_types_and_out_of_range_values(org, api):
    response = api(org.fleet_manager_a).post(
        "/api/v1/vehicles/", _payload(org, state_of_health_percent=140, status="flying"), format="json"
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["state_of_health_percent"][0]["code"] == "max_value"
    assert fields["status"][0]["code"] == "invalid_choice"


def test_it_will_not_place_a_vehicle_in_another_departments_tree(org, api):
    response = api(org.fleet_manager_a).post("/api/v1/vehicles/", _payload(org, department=org.b.pk), format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["department"][0]["code"] == "does_not_exist"
    assert Vehicle.objects.count() == 0


def test_malformed_json_gets_a_parse_error(org, api):
    response = api(org.fleet_manager_a).post("/api/v1/vehicles/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unauthenticated_calls_get_401_with_the_way_to_authenticate(db, api):
    response = api().get("/api/v1/vehicles/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_gets_401(db, api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    response = client.get("/api/v1/vehicles/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_token_from_the_token_endpoint_works(org, api):
    response = api().post(
        "/api/v1/auth/token/", {"username": "analyst-a", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/vehicles/").status_code == 200


def test_the_token_endpoint_rejects_a_wrong_password(org, api):
    response = api().post("/api/v1/auth/token/", {"username": "analyst-a", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"][0]["code"] == "invalid_credentials"


@pytest.mark.parametrize("role", ["analyst", "integrator", "dispatcher", "technician"])
def test_roles_without_the_permission_get_403_on_delete(org, api, role):
    vehicle = VehicleFactory(department=org.a)
    response = api(getattr(org, f"{role}_a")).delete(f"/api/v1/vehicles/{vehicle.pk}/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_an_analyst_can_read_but_not_change(org, api):
    vehicle = VehicleFactory(department=org.a)
    client = api(org.analyst_a)
    assert client.get(f"/api/v1/vehicles/{vehicle.pk}/").status_code == 200
    assert client.patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "maintenance"}, format="json").status_code == 403


def test_a_technician_can_put_a_vehicle_into_maintenance(org, api):
    vehicle = VehicleFactory(department=org.a1)
    response = api(org.technician_a).patch(f"/api/v1/vehicles/{vehicle.pk}/", {"status": "maintenance"}, format="json")
    assert response.status_code == 200
    vehicle.refresh_from_db()
    assert vehicle.status == "maintenance"


def test_a_vehicle_list_filters_by_status_search_and_department_tree(org, api):
    plugged_in(VehicleFactory(department=org.a, status="active", license_plate="B-XY 1"))
    VehicleFactory(department=org.a1, status="active", license_plate="B-XY 2")
    VehicleFactory(department=org.a1, status="maintenance", license_plate="M-ZZ 3")
    client = api(org.fleet_manager_a)
    assert client.get("/api/v1/vehicles/?status=charging").json()["count"] == 1
    assert client.get("/api/v1/vehicles/?status=charging&status=active").json()["count"] == 2
    assert client.get("/api/v1/vehicles/?search=B-XY").json()["count"] == 2
    assert client.get(f"/api/v1/vehicles/?department_tree={org.a1.pk}").json()["count"] == 2
    ordered = client.get("/api/v1/vehicles/?ordering=-license_plate").json()["results"]
    assert [v["license_plate"] for v in ordered] == ["M-ZZ 3", "B-XY 2", "B-XY 1"]


def test_an_invalid_filter_value_is_a_validation_error(org, api):
    response = api(org.fleet_manager_a).get("/api/v1/vehicles/?status=flying")
    assert response.status_code == 400
    assert response.json()["fields"]["status"][0]["code"] == "invalid_choice"


@pytest.mark.parametrize("count", [3, 30])
def test_the_vehicle_list_runs_a_constant_number_of_queries(org, api, django_assert_max_num_queries, count):
    VehicleFactory.create_batch(count, department=org.a1)
    client = api(org.fleet_manager_a)
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/vehicles/")
    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [3, 30])
def test_the_vehicle_model_list_runs_a_constant_number_of_queries(org, api, django_assert_max_num_queries, count):
    VehicleModelFactory.create_batch(count)
    with django_assert_max_num_queries(2):
        response = api(org.analyst_a).get("/api/v1/vehicle-models/?page_size=500")
    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_the_telemetry_list_runs_a_constant_number_of_queries(org, api, django_assert_max_num_queries, count):
    vehicle = VehicleFactory(department=org.a)
    TelemetryPointFactory.create_batch(count, vehicle=vehicle)
    with django_assert_max_num_queries(1):
        response = api(org.analyst_a).get(f"/api/v1/telemetry/?vehicle={vehicle.pk}")
    assert len(response.json()["results"]) == count


def test_a_vehicle_model_with_dc_inlets_needs_a_dc_power(org, api):
    response = api(org.admin).post(
        reverse("vehiclemodel-list"),
        {
            "make": "Acme",
            "name": "Hauler",
            "model_year": 2025,
            "vehicle_class": "truck",
            "usable_battery_kwh": "300.0",
            "max_ac_kw": "22.0",
            "max_dc_kw": None,
            "inlets": ["type2", "ccs2"],
            "consumption_wh_per_km": 1100,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["max_dc_kw"][0]["code"] == "dc_power_required"


def test_an_unknown_inlet_is_rejected_with_the_allowed_list(org, api):
    response = api(org.admin).post(
        "/api/v1/vehicle-models/",
        {
            "make": "Acme",
            "name": "Hauler",
            "model_year": 2025,
            "vehicle_class": "truck",
            "usable_battery_kwh": "300.0",
            "max_ac_kw": "22.0",
            "inlets": ["type2", "schuko"],
            "consumption_wh_per_km": 1100,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["inlets.1"][0]["code"] == "invalid_choice"


def test_the_shipped_catalogue_has_at_least_15_real_models_with_correct_inlets(db):
    from fleet.models import VehicleModel

    assert VehicleModel.objects.count() >= 15
    leaf_eu = VehicleModel.objects.get(make="Nissan", name="Leaf", variant__contains="EU")
    assert set(leaf_eu.inlets) == {"type2", "chademo"}
    leaf_na = VehicleModel.objects.get(make="Nissan", name="Leaf", variant__contains="NA")
    assert set(leaf_na.inlets) == {"type1", "chademo"}
    for model in VehicleModel.objects.all():
        model.full_clean()


def test_a_vehicle_model_in_use_cannot_be_deleted(org, api):
    vehicle = VehicleFactory(department=org.a)
    response = api(org.admin).delete(f"/api/v1/vehicle-models/{vehicle.vehicle_model_id}/")
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"][0]["code"] == "model_in_use"
