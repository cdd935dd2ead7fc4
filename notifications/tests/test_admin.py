"""The admin of notifications: thresholds, the delivery log, the session reports; and the old addresses under
/admin/charging/ lead to them."""

import pytest

pytestmark = pytest.mark.django_db


def test_thresholds_and_the_delivery_log_are_in_the_admin(org, client):
    client.force_login(org.admin)
    form = {"department": org.a.pk, "kind": "soc_at_departure", "threshold": "150", "is_active": "on"}
    response = client.post("/admin/notifications/thresholdrule/add/", form)
    assert response.status_code == 200 and "A SoC threshold is a percentage" in response.content.decode()
    assert client.post("/admin/notifications/thresholdrule/add/", {**form, "threshold": "30"}).status_code == 302
    assert client.get("/admin/notifications/delivery/").status_code == 200
    assert client.get("/admin/notifications/notification/").status_code == 200


def test_the_old_admin_addresses_of_the_moved_models_redirect_to_the_new_ones(org, client):
    client.force_login(org.admin)
    for old, new in [
        ("/admin/charging/notification/", "/admin/notifications/notification/"),
        ("/admin/charging/delivery/?status=failed", "/admin/notifications/delivery/?status=failed"),
        ("/admin/charging/sessionreport/7/change/", "/admin/notifications/sessionreport/7/change/"),
        ("/admin/charging/thresholdrule/add/", "/admin/notifications/thresholdrule/add/"),
        ("/admin/charging/notificationpreference", "/admin/notifications/notificationpreference"),
    ]:
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
    assert client.get("/admin/charging/reservation/").status_code == 200  # what stays in charging stays
    assert client.get("/admin/notifications/sessionreport/").status_code == 200
