"""The API contract: what the OpenAPI schema says is what the server does.

Every documented 400 example of a write operation carries the input it answers (`x-request-body`, or
`x-request-raw` for a malformed body); sending that input must give exactly the documented body. The schema
states the rules the server enforces (bounds, enums, patterns, component schemas), and every answer under
/api/ has the one error shape, unknown addresses and server errors included.
"""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.fuzz_seed import build_world

API = "/api/v1/"
WRITES = ("post", "put", "patch")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _examples(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in WRITES:
                continue
            examples = operation["responses"].get("400", {}).get("content", {}).get("application/json", {})
            for name, example in examples.get("examples", {}).items():
                yield method, path, name, example


def _collection(path: str, parameter: str) -> str:
    parts = path.removeprefix(API).strip("/").split("/")
    return parts[parts.index("{" + parameter + "}") - 1]


def _first_id(client, collection: str) -> int:
    rows = client.get(f"{API}{collection}/").json()["results"]
    assert rows, f"the world has no {collection}"
    return rows[0]["id"]


def _url(client, path: str) -> str:
    for parameter in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + parameter + "}", str(_first_id(client, _collection(path, parameter))))
    return path


@pytest.mark.django_db
def test_every_documented_error_example_is_what_the_server_answers(org, schema):
    from charging.models import RoamingPolicy

    build_world(org)
    RoamingPolicy.objects.create(department=org.a)
    client = APIClient()
    client.force_authenticate(org.admin)
    checked, wrong = 0, []
    for method, path, name, example in _examples(schema):
        assert "x-request-body" in example or "x-request-raw" in example, (method, path, name)
        url = _url(client, path)
        if "x-request-raw" in example:
            response = getattr(client, method)(url, example["x-request-raw"], content_type="application/json")
        else:
            response = getattr(client, method)(url, example["x-request-body"], format="json")
        checked += 1
        if response.status_code != 400 or response.json() != example["value"]:
            wrong.append(f"{method.upper()} {path} {name}: {response.status_code} {response.content[:600]!r}")
    assert checked >= 250
    assert not wrong, "\n".join(wrong)


def test_no_write_operation_shows_a_generic_example(schema):
    """Each write documents what its own validation says: no stock "name is required" where there is no name."""
    for method, path, name, _ in _examples(schema):
        assert name != "invalid", (method, path)
    named = {
        (method, path) for method, path, name, _ in _examples(schema) if name not in ("malformed_json", "body_given")
    }
    writes = {(m, p) for p, item in schema["paths"].items() for m in item if m in WRITES}
    bodiless = {(m, p) for m, p, name, _ in _examples(schema) if name == "body_given"}
    assert writes == named | bodiless


def _property(schema, component: str, name: str) -> dict:
    return schema["components"]["schemas"][component]["properties"][name]


def _matches(prop: dict, value: str) -> bool:
    return re.search(prop["pattern"], value) is not None


def test_decimal_fields_state_the_servers_bounds(schema):
    grid = _property(schema, "SiteRequest", "grid_limit_kw")
    assert (grid["minimum"], grid["maximum"]) == (0.1, 9999999.9)
    assert not any(_matches(grid, v) for v in ("-5", "0", "0.05", "0.15", "10000000"))
    assert all(_matches(grid, v) for v in ("0.1", "12", "250.5", "9999999.9"))
    tax = _property(schema, "TariffVersionRequest", "tax_percent")
    assert (tax["minimum"], tax["maximum"]) == (0, 100)
    assert _matches(tax, "19.000") and not _matches(tax, "100.001") and not _matches(tax, "-1")
    for name, component in schema["components"]["schemas"].items():
        for field, prop in component.get("properties", {}).items():
            if prop.get("format") == "decimal":
                assert {"minimum", "maximum", "pattern"} <= set(prop), (name, field)


def test_time_zones_currencies_countries_and_recipients_are_enums_or_patterns(schema):
    components = schema["components"]["schemas"]
    zone = _property(schema, "SiteRequest", "time_zone")
    assert zone["allOf"] == [{"$ref": "#/components/schemas/TimeZone"}]
    assert (
        "Europe/Berlin" in components["TimeZone"]["enum"] and "Mars/Olympus_Mons" not in components["TimeZone"]["enum"]
    )
    assert _property(schema, "DepartmentRequest", "time_zone")["allOf"] == zone["allOf"]
    assert _property(schema, "TariffRequest", "currency")["allOf"] == [{"$ref": "#/components/schemas/Currency"}]
    assert {"EUR", "USD", "JPY"} <= set(components["Currency"]["enum"])
    country = _property(schema, "HolidayCalendarRequest", "country")
    assert {"$ref": "#/components/schemas/Country"} in country["oneOf"]  # or blank: no country
    assert "DE" in components["Country"]["enum"] and all(len(c) == 2 for c in components["Country"]["enum"])
    recipients = _property(schema, "SavedReportRequest", "recipients")
    assert re.search(recipients["pattern"], "a@example.com, b@example.org;c@example.net")
    assert not re.search(recipients["pattern"], "fleet@example.com, dispatch")
    inlets = _property(schema, "VehicleModelRequest", "inlets")
    assert inlets["uniqueItems"] is True and inlets["minItems"] == 1
    hour = _property(schema, "CarbonIntensityRequest", "hour_start")
    assert re.search(hour["pattern"], "2026-11-24T14:00:00Z") and not re.search(hour["pattern"], "2026-11-24T14:30:00Z")


def test_tariff_elements_the_load_curve_and_report_filters_have_component_schemas(schema):
    components = schema["components"]["schemas"]
    elements = _property(schema, "TariffVersionRequest", "elements")
    assert elements["items"] == {"$ref": "#/components/schemas/TariffElement"} and elements["maxItems"] == 50
    assert _property(schema, "TariffVersion", "elements")["items"] == elements["items"]
    element = components["TariffElement"]
    assert element["required"] == ["price_components"] and element["additionalProperties"] is False
    restrictions = components["TariffRestrictions"]["properties"]
    assert re.search(restrictions["start_time"]["pattern"], "22:00")
    assert not re.search(restrictions["start_time"]["pattern"], "24:00")
    curve = _property(schema, "LoadPricingRequest", "curve")
    assert curve["minItems"] == 2 and (curve["items"]["minItems"], curve["items"]["maxItems"]) == (2, 2)
    filters = _property(schema, "SavedReportRequest", "filters")
    assert filters["allOf"] == [{"$ref": "#/components/schemas/ReportFilters"}]
    assert set(components["ReportFilters"]["properties"]) == {"site", "vehicle_model", "vehicle", "vehicle_class"}


# --- one error shape under /api/ ---------------------------------------------------------------------------


def _is_error(response, status: int, code: str) -> bool:
    body = response.json()
    return response.status_code == status and body["code"] == code and isinstance(body["message"], str)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/vehicles/abc/",
        "/api/v1/vehicles/1.5/",
        "/api/nothing",
        "/api/v1/vehicles/999999/",
    ],
)
def test_unknown_addresses_and_malformed_ids_answer_the_json_error_shape(org, api, url):
    response = api(org.admin).get(url)
    assert response["Content-Type"].startswith("application/json")
    assert _is_error(response, 404, "not_found")


@pytest.mark.django_db
def test_a_method_the_address_does_not_take_answers_the_json_error_shape(org, api):
    response = api(org.admin).delete("/api/v1/telemetry/bulk/")
    assert _is_error(response, 405, "method_not_allowed")


@pytest.mark.django_db
def test_a_server_error_answers_the_json_error_shape(org, monkeypatch):
    from pricing.api import views

    def broken(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.QuoteView, "post", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(org.admin)
    response = client.post("/api/v1/pricing/quote/", {}, format="json")
    assert _is_error(response, 500, "server_error")


@pytest.mark.django_db
def test_a_body_sent_to_an_action_without_one_is_refused_not_ignored(org, api):
    build_world(org)
    client = api(org.admin)
    notification = client.get("/api/v1/notifications/").json()["results"][0]["id"]
    response = client.post(f"/api/v1/notifications/{notification}/read/", {"all": True}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["all"][0]["code"] == "unknown_field"
    assert client.post(f"/api/v1/notifications/{notification}/read/").status_code == 200
    assert client.post(f"/api/v1/notifications/{notification}/read/", {}, format="json").status_code == 200


# --- one style of nested keys, one code per rule ------------------------------------------------------------


@pytest.mark.django_db
def test_nested_fields_are_named_by_dotted_paths(org, api):
    from pricing.tests.factories import TariffFactory, TariffVersionFactory

    tariff = TariffFactory(department=org.a)
    TariffVersionFactory(tariff=tariff, number=1)
    day = {
        "price_components": [{"type": "ENERGY", "price": "0.30"}],
        "restrictions": {"start_time": "07:00", "end_time": "22:00"},
    }
    overlap = {
        "price_components": [{"type": "ENERGY", "price": "0.20"}],
        "restrictions": {"start_time": "21:00", "end_time": "06:00"},
    }
    client = api(org.admin)
    response = client.post(
        f"/api/v1/tariffs/{tariff.pk}/versions/",
        {
            "tax_percent": "19",
            "elements": [day, overlap],
            "valid_from": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == ["elements.1.restrictions.start_time"]
    response = client.post("/api/v1/vehicle-models/", {"inlets": ["type2", "plug"]}, format="json")
    assert "inlets.1" in response.json()["fields"]


@pytest.mark.django_db
def test_an_incompatible_connector_has_one_code_everywhere(org, api):
    from fleet.tests.factories import VehicleFactory
    from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

    site = SiteFactory(department=org.a)
    station = ChargePointFactory(site=site, is_connected=True, protocol="ocpp1.6")
    connector = ConnectorFactory(charge_point=station, evse_id=1, connector_type="chademo", current_type="dc")
    vehicle = VehicleFactory(department=org.a, vehicle_model__inlets=["type2"], vehicle_model__max_dc_kw=None)
    client = api(org.admin)
    soon = timezone.now() + timedelta(hours=2)
    answers = {
        "sessions": client.post("/api/v1/sessions/", {"vehicle": vehicle.pk, "connector": connector.pk}, format="json"),
        "reservations": client.post(
            "/api/v1/reservations/",
            {
                "vehicle": vehicle.pk,
                "requested_connector": connector.pk,
                "starts_at": soon.isoformat(),
                "ends_at": (soon + timedelta(hours=1)).isoformat(),
            },
            format="json",
        ),  # fmt: skip
        "quote": client.post(
            "/api/v1/pricing/quote/",
            {"vehicle": vehicle.pk, "connector": connector.pk, "energy_kwh": str(Decimal("10"))},
            format="json",
        ),
        "commands": client.post(
            f"/api/v1/charge-points/{station.pk}/commands/?wait=0",
            {"action": "RemoteStartTransaction", "vehicle": vehicle.pk, "payload": {"connectorId": 1}},
            format="json",
        ),
    }
    codes = {}
    for where, response in answers.items():
        assert response.status_code == 400, (where, response.json())
        codes[where] = {e["code"] for errors in response.json()["fields"].values() for e in errors}
    assert all("incompatible_connector" in found for found in codes.values()), codes
    assert not any("invalid" in found for found in codes.values()), codes


def test_the_contract_test_sends_raw_and_json_bodies_as_documented(schema):
    raw = [e for _, _, name, e in _examples(schema) if name == "malformed_json"]
    assert raw and all(e["x-request-raw"] == '{"name": ' for e in raw)
    assert all(json.dumps(e["x-request-body"]) for _, _, name, e in _examples(schema) if name != "malformed_json")


def test_a_blank_value_matches_exactly_one_alternative(schema):
    """`recipients` may be empty (the owner receives the report): its pattern admits "", so no second branch does."""
    recipients = _property(schema, "SavedReport", "recipients")
    assert "oneOf" not in recipients and re.search(recipients["pattern"], "") is not None
