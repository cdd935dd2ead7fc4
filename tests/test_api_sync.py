"""The list contract for integrators: nothing in a query string is silently ignored, every list can be synchronised
incrementally (updated_after / updated_before, cursor pages in (updated_at, id) order), and a POST is safe to retry
with an Idempotency-Key."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import Department, IdempotencyKey
from charging.tests.factories import SessionFactory
from evfleet.urls import router
from fleet.models import Vehicle
from fleet.tests.factories import VehicleFactory
from stations import services as station_services
from stations.models import Alert
from stations.tests.factories import ChargePointFactory, SiteFactory
from tests.queries import request_queries

pytestmark = pytest.mark.django_db

LISTS = sorted(prefix for prefix, _viewset, _basename in router.registry)
WITHOUT_SYNC = {"telemetry": "readings never change and carry the vehicle's clock: recorded_after and its cursor"}


def _error(response, field: str) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["fields"][field][0]


# --- Nothing silently ignored -------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", LISTS)
def test_every_list_refuses_an_unknown_query_parameter_naming_it_and_the_accepted_ones(org, api, prefix):
    response = api(org.admin).get(f"/api/v1/{prefix}/", {"colour": "red"})
    error = _error(response, "colour")
    assert error["code"] == "unknown_parameter"
    assert "'colour'" in error["message"] and "page_size" in error["message"]
    assert response.json()["code"] == "validation_error"


def test_an_invalid_boolean_filter_value_is_a_400_instead_of_no_filter(org, api):
    error = _error(api(org.admin).get("/api/v1/alerts/?open=1"), "open")
    assert error["code"] == "invalid_choice" and "true or false" in error["message"]
    assert api(org.admin).get("/api/v1/alerts/?open=true").status_code == 200


def test_an_unknown_choice_names_the_accepted_values(org, api):
    error = _error(api(org.admin).get("/api/v1/vehicles/?status=parked"), "status")
    assert error["code"] == "invalid_choice"
    assert "'parked'" in error["message"] and "active, charging, maintenance, retired" in error["message"]


def test_an_unknown_ordering_field_is_a_400_listing_the_fields(org, api):
    error = _error(api(org.admin).get("/api/v1/vehicles/?ordering=-colour"), "ordering")
    assert error["code"] == "invalid_ordering"
    assert "'-colour'" in error["message"] and "soc_percent" in error["message"]
    assert api(org.admin).get("/api/v1/vehicles/?ordering=-soc_percent,vin").status_code == 200


def test_a_list_without_ordering_fields_orders_only_by_its_plain_model_fields(org, api):
    assert api(org.admin).get("/api/v1/circuits/?ordering=-max_power_kw").status_code == 200
    assert _error(api(org.admin).get("/api/v1/circuits/?ordering=site__name"), "ordering")["code"] == (
        "invalid_ordering"
    )


def test_search_is_unknown_on_a_list_that_searches_nothing(org, api):
    assert _error(api(org.admin).get("/api/v1/alerts/?search=x"), "search")["code"] == "unknown_parameter"
    assert api(org.admin).get("/api/v1/vehicles/?search=x").status_code == 200


def test_a_read_of_one_object_or_an_action_refuses_list_filters(org, api):
    vehicle = VehicleFactory(department=org.a)
    assert _error(api(org.admin).get(f"/api/v1/vehicles/{vehicle.pk}/?status=active"), "status")["code"] == (
        "unknown_parameter"
    )
    charge_point = ChargePointFactory(site=SiteFactory(department=org.a))
    response = api(org.admin).get(f"/api/v1/charge-points/{charge_point.pk}/messages/?status=offline")
    assert _error(response, "status")["code"] == "unknown_parameter"
    assert api(org.admin).get(f"/api/v1/charge-points/{charge_point.pk}/messages/?page_size=5").status_code == 200


def test_the_unread_filter_of_notifications_is_a_strict_boolean(org, api):
    client = api(org.fleet_manager_a)
    assert client.get("/api/v1/notifications/?unread=true").status_code == 200
    assert _error(client.get("/api/v1/notifications/?unread=1"), "unread")["code"] == "invalid_choice"


def test_the_format_parameter_is_known_everywhere(org, api):
    assert api(org.admin).get("/api/v1/alerts/?format=json").status_code == 200


# --- Incremental sync ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", LISTS)
def test_every_list_filters_on_its_change_time_unless_it_says_why_not(org, api, prefix):
    response = api(org.admin).get(f"/api/v1/{prefix}/", {"updated_after": "2020-01-01T00:00:00Z", "cursor": ""})
    if prefix in WITHOUT_SYNC:
        assert _error(response, "updated_after")["code"] == "unknown_parameter"
    else:
        assert response.status_code == 200, response.content
        assert set(response.json()) == {"next", "previous", "results"}


def _stamp(vehicle: Vehicle, moment: datetime) -> None:
    Vehicle.objects.filter(pk=vehicle.pk).update(updated_at=moment)


def test_updated_after_and_updated_before_select_by_the_change_time(org, api):
    old, new = VehicleFactory(department=org.a), VehicleFactory(department=org.a)
    _stamp(old, datetime(2026, 1, 1, 8, tzinfo=UTC))
    _stamp(new, datetime(2026, 1, 2, 8, tzinfo=UTC))
    client = api(org.admin)

    def ids(query: str) -> list[int]:
        return [row["id"] for row in client.get(f"/api/v1/vehicles/?{query}").json()["results"]]

    assert ids("updated_after=2026-01-02T08:00:00Z") == [new.pk]  # inclusive
    assert ids("updated_before=2026-01-02T09:00:00%2B01:00") == [old.pk]  # exclusive, in any offset


@pytest.mark.parametrize(
    ("value", "code"),
    [("2026-01-01T00:00:00", "naive_datetime"), ("yesterday", "invalid"), ("2026-01-01T00:00:00 01:00", "invalid")],
)
def test_a_naive_or_malformed_sync_time_is_a_400_naming_the_field(org, api, value, code):
    error = _error(api(org.admin).get("/api/v1/sessions/", {"updated_after": value}), "updated_after")
    assert error["code"] == code
    assert "offset" in error["message"]


def test_sessions_filter_on_when_they_ended_and_were_priced(org, api):
    site = SiteFactory(department=org.a)
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    early = SessionFactory(connector__charge_point__site=site, started_at=start, ended_at=start + timedelta(hours=1))
    late = SessionFactory(
        connector__charge_point__site=site,
        started_at=start,
        ended_at=start + timedelta(hours=5),
        priced_at=start + timedelta(hours=6),
        cost_total=Decimal("3.50"),
    )
    client = api(org.admin)
    ended = client.get("/api/v1/sessions/?ended_after=2026-03-01T10:00:00Z").json()["results"]
    priced = client.get("/api/v1/sessions/?priced_after=2026-03-01T13:00:00Z").json()["results"]
    assert [row["id"] for row in ended] == [late.pk] and [row["id"] for row in priced] == [late.pk]
    assert early.pk in [row["id"] for row in client.get("/api/v1/sessions/").json()["results"]]


def _follow(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_cursor_sync_across_a_page_boundary_misses_and_repeats_nothing_while_rows_change(org, api):
    base = datetime(2026, 5, 1, 12, tzinfo=UTC)
    vehicles = [VehicleFactory(department=org.a) for _ in range(6)]
    for index, vehicle in enumerate(vehicles):  # two pairs share a change time: the id breaks the tie
        _stamp(vehicle, base + timedelta(seconds=index // 2))
    client = api(org.fleet_manager_a)

    first = _follow(client, "/api/v1/vehicles/?cursor=&page_size=4")
    seen = [row["id"] for row in first["results"]]
    assert seen == [v.pk for v in vehicles[:4]] and "count" not in first

    # Meanwhile: a row already synced changes, a row not yet synced changes, one is added.
    _stamp(vehicles[1], base + timedelta(minutes=5))  # tied with vehicles[0] before: must not shift the cursor
    _stamp(vehicles[4], base + timedelta(minutes=6))
    added = VehicleFactory(department=org.a)
    _stamp(added, base + timedelta(minutes=7))

    url = first["next"]
    while url:
        page = _follow(client, url)
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    unchanged_once = [v.pk for v in vehicles if v.pk not in (vehicles[1].pk, vehicles[4].pk)]
    assert all(seen.count(pk) == 1 for pk in unchanged_once)
    assert seen[4:] == [vehicles[5].pk, vehicles[1].pk, vehicles[4].pk, added.pk]  # each change, once, in order
    assert set(seen) == {v.pk for v in vehicles} | {added.pk}


def test_cursor_pages_take_the_same_number_of_queries_whatever_their_size(org, api):
    for _ in range(12):
        VehicleFactory(department=org.a)
    client = api(org.fleet_manager_a)
    small = request_queries(client, "/api/v1/vehicles/?cursor=&page_size=2")
    large = request_queries(client, "/api/v1/vehicles/?cursor=&page_size=12")
    assert small == large
    sessions = request_queries(client, "/api/v1/sessions/?cursor=&page_size=2")
    SessionFactory.create_batch(5, connector__charge_point__site=SiteFactory(department=org.a))
    assert request_queries(client, "/api/v1/sessions/?cursor=&page_size=20") == sessions


def test_an_invalid_cursor_is_a_400_naming_it(org, api):
    assert _error(api(org.admin).get("/api/v1/vehicles/?cursor=bm9wZQ"), "cursor")["code"] == "invalid_cursor"


@pytest.mark.parametrize("other", ["page=2", "ordering=vin"])
def test_a_cursor_does_not_combine_with_page_numbers_or_another_order(org, api, other):
    assert _error(api(org.admin).get(f"/api/v1/vehicles/?cursor=&{other}"), other.split("=")[0])["code"] == "invalid"


def test_an_alert_resolved_by_the_station_moves_its_change_time(org):
    charge_point = ChargePointFactory(site=SiteFactory(department=org.a))
    opened = station_services.alert_raise(
        kind=Alert.Kind.MISSED_HEARTBEAT,
        severity=Alert.Severity.WARNING,
        charge_point=charge_point,
        message="silent",
        now=timezone.now(),
    )
    Alert.objects.filter(pk=opened.pk).update(updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    station_services.alert_resolve(kind=Alert.Kind.MISSED_HEARTBEAT, charge_point=charge_point, now=timezone.now())
    assert Alert.objects.get(pk=opened.pk).updated_at > datetime(2026, 1, 2, tzinfo=UTC)


# --- Safe retries -------------------------------------------------------------------------------------------------


def _post(client, body: dict, key: str | None = "order-0001", path: str = "/api/v1/departments/"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body, format="json", **headers)


def test_a_retried_post_with_the_same_key_gets_the_first_answer_without_running_again(org, api):
    client = api(org.admin)
    first = _post(client, {"name": "Depot North"})
    again = _post(client, {"name": "Depot North"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Department.objects.filter(name="Depot North").count() == 1


def test_a_refused_post_is_replayed_as_refused(org, api):
    client = api(org.admin)
    first = _post(client, {"name": "Org A"})  # taken
    Department.objects.filter(name="Org A").update(name="Org A renamed")
    again = _post(client, {"name": "Org A"})
    assert first.status_code == again.status_code == 400 and again.json() == first.json()


def test_the_same_key_with_another_body_is_a_409(org, api):
    client = api(org.admin)
    assert _post(client, {"name": "Depot North"}).status_code == 201
    response = _post(client, {"name": "Depot South"})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert not Department.objects.filter(name="Depot South").exists()


def test_a_key_belongs_to_its_user(org, api):
    assert _post(api(org.admin), {"name": "Depot North"}).status_code == 201
    other = api(org.fleet_manager_a).post(
        "/api/v1/vehicles/", {}, format="json", HTTP_IDEMPOTENCY_KEY="order-0001"
    )  # the same key, another user: a request of its own
    assert other.status_code == 400 and other.json()["code"] == "validation_error"


def test_a_post_without_a_key_runs_each_time(org, api):
    client = api(org.admin)
    assert _post(client, {"name": "Depot North"}, key=None).status_code == 201
    assert _post(client, {"name": "Depot North"}, key=None).status_code == 400  # the name is taken now


@pytest.mark.parametrize("key", ["x" * 256, "with space", "é"])
def test_a_key_that_is_too_long_or_not_visible_ascii_is_a_400_naming_the_header(org, api, key):
    response = api(org.admin).post(
        "/api/v1/departments/", {"name": "Depot North"}, format="json", HTTP_IDEMPOTENCY_KEY=key.encode().decode()
    )
    assert _error(response, "Idempotency-Key")["code"] == "invalid_idempotency_key"
    assert not Department.objects.filter(name="Depot North").exists()


def test_a_server_error_keeps_no_answer_so_the_retry_runs(org, api, monkeypatch):
    from accounts import services

    real = services.department_create
    monkeypatch.setattr(services, "department_create", lambda **kwargs: 1 / 0)
    client = api(org.admin)
    client.raise_request_exception = False
    assert _post(client, {"name": "Depot North"}).status_code == 500
    monkeypatch.setattr(services, "department_create", real)
    assert _post(client, {"name": "Depot North"}).status_code == 201


def test_a_key_expires_after_24_hours_and_the_periodic_task_purges_it(org, api, settings):
    from accounts.tasks import idempotency_keys_purge

    client = api(org.admin)
    _post(client, {"name": "Depot North"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert _post(client, {"name": "Depot South"}).status_code == 201  # expired: a new request
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge() == 1 and not IdempotencyKey.objects.exists()
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-keys-purge"]
    assert entry["task"] == "accounts.tasks.idempotency_keys_purge"
    assert entry["options"]["expires"] < entry["schedule"].total_seconds()


def _api_views(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and (prefix + str(pattern.pattern)).startswith("api/v1/"):
            view = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", None) or {}
            if view is not None and ("post" in actions or (not actions and hasattr(view, "post"))):
                yield prefix + str(pattern.pattern), view


def test_every_post_under_the_api_takes_an_idempotency_key():
    from accounts.api.views import TokenView
    from evfleet.api.idempotency import IdempotencyMixin

    views = dict(_api_views())
    assert len(views) > 30
    missing = [path for path, view in views.items() if not issubclass(view, IdempotencyMixin) and view is not TokenView]
    assert missing == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_posts_create_one_object(org, api, monkeypatch):
    """Carbon offsets have no unique field: without the key, both requests would store one."""
    from analytics.models import CarbonOffset
    from evfleet.api import base

    real, start = base.model_create, threading.Barrier(2)

    def slow_create(**kwargs):
        created = real(**kwargs)
        threading.Event().wait(0.5)  # the twin arrives while this one runs
        return created

    monkeypatch.setattr(base, "model_create", slow_create)
    body = {"department": org.a.pk, "registry": "Verra", "quantity_t_co2e": "1.500", "vintage": 2024,
            "retired_on": "2026-01-15"}  # fmt: skip
    answers = []

    def send():
        client = api(org.admin)
        start.wait()
        answers.append(_post(client, body, key="twin-0001", path="/api/v1/carbon-offsets/"))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CarbonOffset.objects.count() == 1
    codes = sorted(answer.status_code for answer in answers)
    assert codes in ([201, 201], [201, 409]), [answer.content for answer in answers]
    if codes == [201, 409]:
        conflict = next(answer for answer in answers if answer.status_code == 409)
        assert conflict.json()["code"] == "idempotency_in_progress" and conflict["Retry-After"] == "1"


def test_an_unknown_parameter_on_another_departments_object_is_still_a_404(org, api):
    other = VehicleFactory(department=org.b)
    response = api(org.fleet_manager_a).get(f"/api/v1/vehicles/{other.pk}/?colour=red")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
