import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    # --fail-on-warn turns any drf-spectacular warning into an error; --validate checks OpenAPI 3.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text())


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_generates_and_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/telemetry/bulk/" in schema["paths"]


def test_every_operation_documents_its_errors_with_examples(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        if path != "/api/v1/auth/token/":
            assert {"401", "403"} <= set(responses), (method, path)
        if "{id}" in path:
            assert "404" in responses, (method, path)
        if method in ("post", "put", "patch"):
            examples = responses["400"]["content"]["application/json"]["examples"]
            assert examples, (method, path)
        for code, response in responses.items():
            if code.startswith("4"):
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_fields_state_type_unit_range_pattern_and_choices(schema):
    components = schema["components"]["schemas"]
    vehicle = components["VehicleRequest"]
    assert vehicle["properties"]["vin"]["pattern"] == "^[A-HJ-NPR-Z0-9]{17}$"
    assert set(vehicle["required"]) >= {"vin", "department", "vehicle_model"}
    soh = vehicle["properties"]["state_of_health_percent"]
    assert (soh["minimum"], soh["maximum"]) == (0, 100) and "%" in soh["description"]
    assert components["VehicleStatusEnum"]["enum"] == ["active", "charging", "maintenance", "retired"]
    model = components["VehicleModelRequest"]["properties"]
    assert "kWh" in model["usable_battery_kwh"]["description"]
    assert model["inlets"]["items"]["$ref"] == "#/components/schemas/ConnectorTypeEnum"
    point = components["TelemetryPointInputRequest"]["properties"]
    assert "kW" in point["power_kw"]["description"]
    assert (point["latitude"]["minimum"], point["latitude"]["maximum"]) == (-90, 90)


def test_the_bulk_endpoint_documents_the_limit_and_partial_acceptance(schema):
    operation = schema["paths"]["/api/v1/telemetry/bulk/"]["post"]
    assert "413" in operation["responses"]
    assert "no_valid_point" in operation["responses"]["400"]["content"]["application/json"]["examples"]
    assert "10,000" in operation["description"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_the_schema_and_its_viewers_are_served_without_a_cdn(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for host in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs"):
        assert host not in body


def test_the_schema_admits_what_the_api_answers(schema):
    """Contract gaps the API fuzz (tests/test_api_fuzz.py) found, each documented as the API answers."""
    components, paths = schema["components"]["schemas"], schema["paths"]
    protocol = components["ChargePoint"]["properties"]["protocol"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in protocol["oneOf"]  # "" until the station connects
    assert components["ReservationDecision"]["properties"]["actor"]["nullable"] is True  # the system decided
    assert components["TariffVersion"]["properties"]["created_by"]["nullable"] is True
    versions = paths["/api/v1/tariffs/{id}/versions/"]
    assert versions["get"]["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert set(versions["post"]["responses"]) >= {"201"} and "200" not in versions["post"]["responses"]
    feed = paths["/api/v1/carbon-intensities/"]["post"]["responses"]["201"]["content"]["application/json"]
    assert feed["schema"]["type"] == "array"  # a bulk create answers the rows, not a page
    assert "404" in paths["/api/v1/vehicles/"]["get"]["responses"]  # a page past the end
    assert "400" in paths["/api/v1/analytics/dashboard/"]["get"]["responses"]  # a bad period
    assert {"400", "409"} <= set(paths["/api/v1/sites/{id}/"]["delete"]["responses"])  # in use
    render = paths["/api/v1/reports/{id}/render/"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "application/pdf"} <= set(render)
    site = components["CircuitRequest"]["properties"]["site"]
    assert (site["type"], site["minimum"]) == ("integer", 1)


def test_every_post_documents_the_idempotency_key_and_its_409(schema):
    for path, method, operation in _operations(schema):
        if method != "post" or path == "/api/v1/auth/token/":  # signing in is idempotent by nature
            continue
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert headers["Idempotency-Key"]["schema"]["maxLength"] == 255, path
        examples = operation["responses"]["409"]["content"]["application/json"]["examples"]
        assert {"key_reused", "in_progress"} <= set(examples), path


def test_lists_document_their_sync_parameters_and_orderings_as_the_server_reads_them(schema):
    sessions = {p["name"]: p for p in schema["paths"]["/api/v1/sessions/"]["get"]["parameters"]}
    assert {"updated_after", "updated_before", "ended_after", "priced_after", "cursor"} <= set(sessions)
    assert sessions["updated_after"]["schema"]["format"] == "date-time"
    ordering = sessions["ordering"]
    assert ordering["explode"] is False and "-started_at" in ordering["schema"]["items"]["enum"]
    alerts = {p["name"] for p in schema["paths"]["/api/v1/alerts/"]["get"]["parameters"]}
    assert "search" not in alerts  # alerts search nothing
    commands = {p["name"] for p in schema["paths"]["/api/v1/charge-points/{id}/commands/"]["get"]["parameters"]}
    assert commands == {"id", "page", "page_size"}  # the station's filters do not apply to its commands


@pytest.mark.django_db
def test_every_documented_query_parameter_of_a_list_is_one_the_server_knows(schema, org, api):
    client = api(org.admin)
    for path, method, operation in _operations(schema):
        if method != "get" or "{" in path:
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        response = client.get(path, dict.fromkeys(names, ""))
        fields = response.json().get("fields", {}) if response.status_code == 400 else {}
        unknown = [name for name, errors in fields.items() if errors[0]["code"] == "unknown_parameter"]
        assert unknown == [], (path, unknown)
