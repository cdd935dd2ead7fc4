"""Sign-in throttling (django-axes, accounts/lockout.py): a username is locked at one address after too many
wrong passwords, on the sign-in pages and at POST /api/v1/auth/token/, and nowhere else."""

import re
from datetime import timedelta

import httpx
import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db.models import F

PASSWORD = "correct-horse-battery"  # conftest's users
ATTACKER = "198.51.100.7"
OTHER_ADDRESS = "198.51.100.8"
ATTEMPTS = 30


def page_sign_in(client, username, password, address=ATTACKER, path="/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def token_sign_in(client, username, password, address=ATTACKER, **extra):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
        **extra,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def lift_the_cool_off(settings):
    """Let the cool-off pass: every counted failure becomes older than EVFLEET_LOGIN_COOLOFF."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))


def test_thirty_wrong_passwords_on_the_sign_in_page_lock_the_username_at_that_address_after_the_limit(
    org, client, settings
):
    limit = settings.AXES_FAILURE_LIMIT
    responses = [page_sign_in(client, "analyst-a", f"guess-{n}") for n in range(ATTEMPTS)]

    assert [r.status_code for r in responses] == [200] * (limit - 1) + [429] * (ATTEMPTS - limit + 1)
    assert "Please enter a correct username and password" in responses[0].content.decode()
    locked = responses[-1].content.decode()
    assert "Too many failed sign-ins for this username from your address" in locked
    assert re.search(r"Try again after \d\d:\d\d \(in 15 min\)", locked)  # the default cool-off, 900 s
    assert 'name="password"' in locked  # the form, not a bare error page
    assert 0 < int(responses[-1]["Retry-After"]) <= settings.AXES_COOLOFF_TIME.total_seconds()

    refused = page_sign_in(client, "analyst-a", PASSWORD)
    assert refused.status_code == 429 and not signed_in(client)


def test_the_admin_sign_in_page_is_throttled_the_same_way(org, client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        page_sign_in(client, "root", f"guess-{n}", path="/admin/login/")
    response = page_sign_in(client, "root", PASSWORD, path="/admin/login/")
    assert response.status_code == 429 and not signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()


def test_thirty_wrong_passwords_at_the_token_endpoint_get_429_with_when_to_retry(org, client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    responses = [token_sign_in(client, "integrator-a", f"guess-{n}") for n in range(ATTEMPTS)]

    assert [r.status_code for r in responses] == [400] * (limit - 1) + [429] * (ATTEMPTS - limit + 1)
    assert responses[0].json()["fields"]["non_field_errors"][0]["code"] == "invalid_credentials"
    body = responses[-1].json()
    assert body["code"] == "sign_in_locked"
    wait = int(responses[-1]["Retry-After"])
    assert 0 < wait <= settings.AXES_COOLOFF_TIME.total_seconds()
    assert re.search(rf"try again in {wait} s \(after \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)", body["message"])

    refused = token_sign_in(client, "integrator-a", PASSWORD)
    assert refused.status_code == 429 and "token" not in refused.json()


def test_a_lock_leaves_other_usernames_and_other_addresses_alone(org, client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        page_sign_in(client, "analyst-a", f"guess-{n}")
        token_sign_in(client, "integrator-a", f"guess-{n}")
    assert page_sign_in(client, "analyst-a", PASSWORD).status_code == 429

    assert page_sign_in(client, "analyst-a", PASSWORD, address=OTHER_ADDRESS).status_code == 302
    client.logout()
    assert page_sign_in(client, "analyst-b", PASSWORD).status_code == 302
    client.logout()
    assert token_sign_in(client, "integrator-a", PASSWORD, address=OTHER_ADDRESS).status_code == 200
    assert token_sign_in(client, "integrator-b", PASSWORD).status_code == 200


def test_the_lock_lifts_after_the_cool_off(org, client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        page_sign_in(client, "analyst-a", f"guess-{n}")
        token_sign_in(client, "integrator-a", f"guess-{n}")
    assert page_sign_in(client, "analyst-a", PASSWORD).status_code == 429
    assert token_sign_in(client, "integrator-a", PASSWORD).status_code == 429

    lift_the_cool_off(settings)

    assert page_sign_in(client, "analyst-a", PASSWORD).status_code == 302 and signed_in(client)
    assert token_sign_in(client, "integrator-a", PASSWORD).status_code == 200


def test_attempts_while_locked_do_not_move_the_end_of_the_lock(org, client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        token_sign_in(client, "integrator-a", f"guess-{n}")
    first = int(token_sign_in(client, "integrator-a", "again").json()["message"].split("try again in ")[1].split()[0])
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=300))
    later = token_sign_in(client, "integrator-a", "and again")
    assert int(later["Retry-After"]) <= first - 299


def test_a_successful_sign_in_forgets_the_earlier_failures(org, client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit - 1):
        page_sign_in(client, "analyst-a", f"guess-{n}")
        token_sign_in(client, "integrator-a", f"guess-{n}")
    assert page_sign_in(client, "analyst-a", PASSWORD).status_code == 302
    assert token_sign_in(client, "integrator-a", PASSWORD).status_code == 200
    client.logout()
    for n in range(limit - 1):
        assert page_sign_in(client, "analyst-a", f"typo-{n}").status_code == 200
        assert token_sign_in(client, "integrator-a", f"typo-{n}").status_code == 400


def test_behind_a_declared_proxy_the_forwarded_client_address_is_what_gets_locked(org, client, settings):
    settings.EVFLEET_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"  # every request arrives from the proxy
    for n in range(settings.AXES_FAILURE_LIMIT):
        page_sign_in(client, "analyst-a", f"guess-{n}", address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert page_sign_in(client, "analyst-a", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert AccessAttempt.objects.get().ip_address == ATTACKER

    colleague = page_sign_in(client, "analyst-a", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=OTHER_ADDRESS)
    assert colleague.status_code == 302


def test_without_a_declared_proxy_a_forged_forwarded_address_does_not_escape_the_lock(org, client, settings):
    assert settings.EVFLEET_TRUSTED_PROXY_COUNT == 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        page_sign_in(client, "analyst-a", f"guess-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = page_sign_in(client, "analyst-a", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_an_administrator_unlocks_a_username_with_axes_reset_username(org, client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        page_sign_in(client, "analyst-a", f"guess-{n}")
    call_command("axes_reset_username", "analyst-a")
    assert page_sign_in(client, "analyst-a", PASSWORD).status_code == 302


def test_an_administrator_unlocks_a_username_in_the_admin_and_nobody_else_sees_the_attempts(org, client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        token_sign_in(client, "analyst-a", f"guess-{n}")
    attempt = AccessAttempt.objects.get()

    client.force_login(org.fleet_manager_a)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    client.force_login(org.admin)
    assert "analyst-a" in client.get("/admin/axes/accessattempt/").content.decode()
    deleted = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    client.logout()

    assert token_sign_in(client, "analyst-a", PASSWORD).status_code == 200


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_locked_out_page_is_served_under_uvicorn_too(org, asgi_live_server, settings):
    with httpx.Client(base_url=asgi_live_server) as browser:
        browser.get("/accounts/login/")
        token = browser.cookies["csrftoken"]
        statuses = [
            browser.post(
                "/accounts/login/", data={"username": "analyst-a", "password": "wrong", "csrfmiddlewaretoken": token}
            ).status_code
            for _ in range(settings.AXES_FAILURE_LIMIT)
        ]
        locked = browser.post(
            "/accounts/login/", data={"username": "analyst-a", "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
    assert "sessionid" not in locked.cookies
