"""Nobody signed in: the role backend answers every permission question about AnonymousUser with no."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.backends import RoleBackend

PASSWORD = "correct-horse-battery"  # conftest's users


def test_the_admin_sign_in_page_opens_for_someone_not_signed_in(db, client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_a_wrong_password_on_the_admin_sign_in_page_shows_the_form_again(org, client):
    response = client.post("/admin/login/", {"username": "analyst-a", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_on_the_admin_sign_in_page_opens_the_admin(org, client):
    response = client.post("/admin/login/?next=/admin/", {"username": "analyst-a", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/admin/", "/admin/login/?next=/admin/"),
        ("/admin/fleet/vehicle/", "/admin/login/?next=/admin/fleet/vehicle/"),
        ("/admin/password_change/", "/admin/login/?next=/admin/password_change/"),
        ("/fleet/", "/accounts/login/?next=/fleet/"),
        ("/sessions/", "/accounts/login/?next=/sessions/"),
        ("/smart-charging/", "/accounts/login/?next=/smart-charging/"),
    ],
)
def test_pages_that_check_permissions_send_someone_not_signed_in_to_sign_in(db, client, path, location):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == location


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/guide/", "/api/docs/", "/api/redoc/", "/healthz"])
def test_public_pages_open_for_someone_not_signed_in(db, client, path):
    assert client.get(path).status_code == 200


def test_the_role_backend_grants_nothing_to_an_anonymous_user():
    backend, anonymous = RoleBackend(), AnonymousUser()
    assert backend.has_perm(anonymous, "fleet.view_vehicle") is False
    assert backend.has_module_perms(anonymous, "fleet") is False
    assert backend.get_all_permissions(anonymous) == set()
    assert anonymous.has_module_perms("fleet") is False
    assert anonymous.has_perm("fleet.view_vehicle") is False
