"""Password reset by email: a link on EVFLEET_BASE_URL, the same answer for unknown addresses, and a throttle."""

import re
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache

from accounts.lockout import password_reset_keys
from accounts.models import ActivityLog, User

PASSWORD = "correct-horse-battery"  # conftest's users
NEW_PASSWORD = "lorry-depot-midnight-47"
ADDRESS = "192.0.2.10"
EMAILS = ["analyst-a@example.com", "nobody@example.com", "analyst-b@example.com"]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The reset throttle counts in the cache, which outlives a test: start and end with these counters at zero."""
    keys = [key for email in EMAILS for key in password_reset_keys(address=ADDRESS, email=email)]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def analyst(org):
    User.objects.filter(pk=org.analyst_a.pk).update(email="analyst-a@example.com")
    User.objects.filter(pk=org.analyst_b.pk).update(email="analyst-b@example.com")
    return User.objects.get(pk=org.analyst_a.pk)


def ask_for_a_link(client, email, capture, address=ADDRESS):
    with capture(execute=True):
        return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=address)


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_the_sign_in_page_links_to_the_password_reset(db, client):
    body = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/"' in body
    assert client.get("/accounts/password-reset/").status_code == 200


def test_a_reset_link_arrives_by_email_on_the_base_url_and_sets_a_new_password_once(
    analyst, client, settings, django_capture_on_commit_callbacks
):
    settings.EVFLEET_BASE_URL = "https://fleet.example.com/"

    response = ask_for_a_link(client, "ANALYST-A@example.com", django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["analyst-a@example.com"] and message.subject == "[EV Fleet] Set a new password"
    link = link_in(message)
    assert link.startswith("https://fleet.example.com/accounts/password-reset/")
    path = link.removeprefix("https://fleet.example.com")

    form_page = client.get(path, follow=True)
    assert "Set a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/password-reset/done/"

    # the new password signs in, the old one no longer does
    assert client.post("/accounts/login/", {"username": "analyst-a", "password": PASSWORD}).status_code == 200
    assert client.post("/accounts/login/", {"username": "analyst-a", "password": NEW_PASSWORD}).status_code == 302
    client.logout()
    assert "This link no longer works" in client.get(path, follow=True).content.decode()
    entry = ActivityLog.objects.filter(object_id=str(analyst.pk), action="update").latest("timestamp")
    assert entry.actor_id == analyst.pk and "password" in entry.changes


def test_an_unknown_email_address_gets_the_same_answer_and_no_mail(analyst, client, django_capture_on_commit_callbacks):
    known = ask_for_a_link(client, "analyst-a@example.com", django_capture_on_commit_callbacks)
    unknown = ask_for_a_link(client, "nobody@example.com", django_capture_on_commit_callbacks)

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["analyst-a@example.com"]


def test_an_inactive_account_gets_no_link(analyst, client, django_capture_on_commit_callbacks):
    User.objects.filter(pk=analyst.pk).update(is_active=False)
    assert ask_for_a_link(client, "analyst-a@example.com", django_capture_on_commit_callbacks).status_code == 302
    assert mail.outbox == []


def test_a_weak_new_password_is_refused_with_the_reason(analyst, client, django_capture_on_commit_callbacks):
    ask_for_a_link(client, "analyst-a@example.com", django_capture_on_commit_callbacks)
    form_page = client.get(urlsplit(link_in(mail.outbox[0])).path, follow=True)

    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()


def test_reset_requests_are_throttled_per_address_the_same_for_known_and_unknown_emails(
    analyst, client, settings, django_capture_on_commit_callbacks
):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [
        ask_for_a_link(client, EMAILS[n % 2], django_capture_on_commit_callbacks).status_code for n in range(2 * limit)
    ]

    assert statuses == [302] * limit + [429] * limit
    refused = ask_for_a_link(client, "analyst-b@example.com", django_capture_on_commit_callbacks)
    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == (limit + 1) // 2  # only the requests let through sent anything


def test_reset_requests_are_throttled_per_email_address_across_client_addresses(
    analyst, client, settings, django_capture_on_commit_callbacks
):
    limit = settings.AXES_FAILURE_LIMIT
    addresses = [f"192.0.2.{100 + n}" for n in range(limit + 1)]
    try:
        statuses = [
            ask_for_a_link(client, "analyst-a@example.com", django_capture_on_commit_callbacks, address=a).status_code
            for a in addresses
        ]
    finally:
        cache.delete_many([password_reset_keys(address=a, email="x")[0] for a in addresses])
    assert statuses == [302] * limit + [429]
    assert len(mail.outbox) == limit


def test_setting_a_new_password_by_email_lifts_the_sign_in_lock(
    analyst, client, settings, django_capture_on_commit_callbacks
):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "analyst-a", "password": f"guess-{n}"})
    assert AccessAttempt.objects.filter(username="analyst-a").exists()

    ask_for_a_link(client, "analyst-a@example.com", django_capture_on_commit_callbacks)
    form_page = client.get(urlsplit(link_in(mail.outbox[0])).path, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert client.post("/accounts/login/", {"username": "analyst-a", "password": NEW_PASSWORD}).status_code == 302
