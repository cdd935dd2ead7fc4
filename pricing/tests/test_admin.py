"""Pricing in the Django admin: the day's chart, versions through the service, contracts with tiers."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from pricing import services
from pricing.models import Contract, TariffVersion
from pricing.tests.factories import DAY_NIGHT, CustomerFactory
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tariff(org):
    return services.tariff_create(
        actor=None,
        name="Admin depot",
        department=org.a,
        currency="EUR",
        site=SiteFactory(department=org.a),
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        tax_percent=D("19"),
        elements=DAY_NIGHT,
    )


def test_the_tariff_admin_shows_todays_prices_as_a_chart(org, client, tariff):
    client.force_login(org.admin)
    body = client.get(f"/admin/pricing/tariff/{tariff.pk}/change/").content.decode()
    assert 'id="admin-price-chart"' in body and "plotly.min.js" in body and "New prices" in body


def test_a_version_added_in_the_admin_is_validated_and_numbered(org, client, tariff):
    client.force_login(org.admin)
    form = {
        "tariff": tariff.pk,
        "valid_from_0": "2026-09-01",
        "valid_from_1": "00:00:00",
        "tax_percent": "19",
        "elements": '[{"price_components": [{"type": "ENERGY", "price": "-1"}]}]',
        "note": "",
    }
    response = client.post("/admin/pricing/tariffversion/add/", form)
    assert response.status_code == 200 and "elements[0].price_components[0].price" in response.content.decode()
    good = '[{"price_components": [{"type": "ENERGY", "price": "0.31"}]}]'
    response = client.post("/admin/pricing/tariffversion/add/", {**form, "elements": good})
    assert response.status_code == 302
    version = TariffVersion.objects.get(tariff=tariff, number=2)
    assert version.created_by == org.admin
    assert client.get(f"/admin/pricing/tariffversion/{version.pk}/change/").status_code == 200  # read only


def test_a_volume_contract_is_saved_with_its_tiers_or_not_at_all(org, client):
    customer = CustomerFactory(department=org.a)
    client.force_login(org.admin)
    form = {
        "customer": customer.pk,
        "name": "Volume 2026",
        "kind": "volume",
        "valid_from_0": "2026-01-01",
        "valid_from_1": "00:00:00",
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    response = client.post("/admin/pricing/contract/add/", form)
    assert response.status_code == 200 and "volume contract needs at least one tier" in response.content.decode()
    assert not Contract.objects.exists()
    response = client.post(
        "/admin/pricing/contract/add/", {**form, "tiers-0-from_kwh": "500", "tiers-0-energy_price": "0.25"}
    )
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert list(contract.tiers.values_list("from_kwh", "energy_price")) == [(D("500.000"), D("0.250000"))]


def test_the_old_admin_addresses_of_pricing_redirect_to_the_new_ones(org, client, tariff):
    client.force_login(org.admin)
    response = client.get(f"/admin/charging/tariff/{tariff.pk}/change/?_changelist_filters=q%3Dx")
    assert response.status_code == 301
    assert response["Location"] == f"/admin/pricing/tariff/{tariff.pk}/change/?_changelist_filters=q%3Dx"
    assert client.get("/admin/charging/contract/")["Location"] == "/admin/pricing/contract/"
    assert client.get("/admin/charging/idtoken/").status_code == 200  # charging's own stay where they are
