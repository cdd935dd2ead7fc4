"""The Content-Security-Policy header (django-csp, settings.CONTENT_SECURITY_POLICY) on every page, and pages
that keep to it: every inline <script> carries the response's nonce and no element has an inline event handler.
The browser tests (tests/browser.py `page`) fail on any violation the browser itself reports."""

import re
from datetime import date

import pytest

from analytics.tests.world import build_world

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_keeps_to_the_policy(response, path):
    directives = policy(response)
    assert directives["default-src"] == ["'self'"], path
    scripts = directives["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
    html = response.content.decode()
    nonces = [value.removeprefix("'nonce-").removesuffix("'") for value in scripts if value.startswith("'nonce-")]
    for attributes in INLINE_SCRIPT.findall(html):
        assert nonces and f'nonce="{nonces[0]}"' in attributes, f"{path}: an inline <script{attributes}> without nonce"
    assert not EVENT_HANDLER.search(html), f"{path}: inline event handler {EVENT_HANDLER.search(html).group(0)}"


@pytest.fixture
def world(org):
    return build_world(org)


def pages(world) -> list[str]:
    from analytics.models import SavedReport
    from charging.models import ChargingSession

    session = ChargingSession.objects.filter(connector=world.c1).first()
    report = SavedReport.objects.create(
        name="Weekly energy",
        owner=world.org.fleet_manager_a,
        department=world.org.a,
        metrics=["energy_charged_kwh"],
        grouping="vehicle",
        period="custom",
        start=date(2026, 1, 10),
        end=date(2026, 1, 11),
    )
    return [
        "/dispatch/",
        "/fleet/",
        f"/fleet/vehicles/{world.v1.pk}/",
        f"/fleet/vehicles/{world.v1.pk}/edit/",
        "/fleet/vehicles/new/",
        "/stations/",
        f"/stations/charge-points/{world.c1.charge_point_id}/",
        "/sessions/",
        f"/sessions/{session.pk}/",
        "/sessions/start/",
        "/reservations/",
        "/reservations/new/",
        "/pricing/",
        "/pricing/tariffs/new/",
        "/smart-charging/",
        f"/smart-charging/sites/{world.s1.pk}/",
        "/notifications/",
        "/analytics/?period=custom&start=2026-01-10&end=2026-01-11",
        "/analytics/compare/",
        "/analytics/trends/",
        "/analytics/environment/",
        "/analytics/reports/",
        "/analytics/reports/new/",
        f"/analytics/reports/{report.pk}/",
        "/api/guide/",
        "/admin/",
        "/admin/fleet/vehicle/",
        f"/admin/fleet/vehicle/{world.v1.pk}/change/",
    ]


def test_every_signed_in_page_sends_the_policy_and_keeps_to_it(world, client):
    client.force_login(world.org.fleet_manager_a)
    for path in pages(world):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_keeps_to_the_policy(response, path)


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/password-reset/", "/accounts/password-reset/sent/", "/admin/login/", "/api/redoc/"],
)
def test_every_public_page_sends_the_policy_and_keeps_to_it(db, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_keeps_to_the_policy(response, path)


def test_swagger_ui_loads_its_start_up_script_from_a_url_not_inline(db, client):
    response = client.get("/api/docs/")
    assert_keeps_to_the_policy(response, "/api/docs/")
    assert INLINE_SCRIPT.findall(response.content.decode()) == []
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_each_response_gets_a_fresh_nonce(db, client):
    first, second = (policy(client.get("/api/redoc/"))["script-src"] for _ in range(2))
    assert first[1].startswith("'nonce-")
    assert first != second


def test_only_redoc_may_start_a_worker_from_a_blob(db, client):
    assert "blob:" in policy(client.get("/api/redoc/"))["worker-src"]
    assert policy(client.get("/accounts/login/"))["worker-src"] == ["'self'"]
