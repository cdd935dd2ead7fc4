"""The pricing pages: overview, a tariff with its day chart, editing prices by rows with a preview."""

import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from pricing import services
from pricing.models import Contract, Tariff, TariffVersion
from pricing.tests.factories import DAY_NIGHT, CustomerFactory
from stations.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tariff(org):
    site = SiteFactory(department=org.a, name="South")
    return services.tariff_create(
        actor=None,
        name="South standard",
        department=org.a,
        currency="EUR",
        site=site,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        tax_percent=D("19"),
        elements=DAY_NIGHT,
    )


def _figure(body: str) -> dict:
    raw = body.split('<script id="figure-price" type="application/json">')[1].split("</script>")[0]
    return json.loads(json.loads(raw))


@pytest.mark.parametrize("count", [1, 6])
def test_the_pricing_page_runs_a_constant_number_of_queries(org, client, django_assert_max_num_queries, count):
    for i in range(count):
        services.tariff_create(
            actor=None, name=f"T{i}", department=org.a, currency="EUR", valid_from=datetime(2026, 1, 1, tzinfo=UTC),
            tax_percent=D("19"), elements=DAY_NIGHT, site=SiteFactory(department=org.a),
        )  # fmt: skip
        CustomerFactory(department=org.a)
    client.force_login(org.fleet_manager_a)
    with django_assert_max_num_queries(10):
        response = client.get("/pricing/")
    assert response.status_code == 200 and response.content.decode().count("data-tariff-id") == count


def test_a_tariff_page_draws_the_days_prices_for_a_customer(org, client, tariff):
    customer = CustomerFactory(department=org.a, name="ACME")
    services.contract_create(
        actor=None, customer=customer, name="ACME", kind=Contract.Kind.DISCOUNT,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC), discount_percent=D("10"),
    )  # fmt: skip
    client.force_login(org.analyst_a)
    body = client.get(f"/pricing/tariffs/{tariff.pk}/", {"date": "2026-06-10"}).content.decode()
    figure = _figure(body)
    x, y = figure["data"][0]["x"], figure["data"][0]["y"]
    assert figure["data"][0]["line"]["shape"] == "hv" and len(x) == 25
    assert (y[6], y[7], y[22]) == (0.238, 0.357, 0.238)  # 0.20 / 0.30 per kWh plus 19 % tax
    body = client.get(f"/pricing/tariffs/{tariff.pk}/", {"date": "2026-06-10", "customer": customer.pk}).content
    assert _figure(body.decode())["data"][0]["y"][7] == 0.3213  # 10 % off
    spring = _figure(client.get(f"/pricing/tariffs/{tariff.pk}/", {"date": "2026-03-29"}).content.decode())
    assert "02:00" not in spring["data"][0]["x"] and len(spring["data"][0]["x"]) == 24  # 23 hours and the end


def test_new_prices_are_previewed_then_saved_as_a_version(org, client, tariff):
    client.force_login(org.fleet_manager_a)
    url = f"/pricing/tariffs/{tariff.pk}/versions/new/"
    page = client.get(url).content.decode()
    assert 'value="0.200000"' in page or 'value="0.20"' in page  # the rows start from the latest version
    form = {
        "version-valid_from": "2026-12-01 00:00",
        "version-tax_percent": "19",
        "version-note": "winter prices",
        "el-TOTAL_FORMS": "2",
        "el-INITIAL_FORMS": "0",
        "el-0-energy_price": "0.25",
        "el-0-start_time": "22:00",
        "el-0-end_time": "06:00",
        "el-1-energy_price": "0.40",
        "el-1-parking_price": "3",
    }
    preview = client.post(url, {**form, "preview": "1"})
    assert preview.status_code == 200 and TariffVersion.objects.filter(tariff=tariff).count() == 1
    assert _figure(preview.content.decode())["data"][0]["y"][23] == 0.2975  # 0.25 × 1.19, not saved
    saved = client.post(url, {**form, "save": "1"})
    assert saved.status_code == 302
    version = tariff.versions.get(number=2)
    assert version.elements[1]["price_components"] == [
        {"type": "ENERGY", "price": "0.40", "step_size": 1},
        {"type": "PARKING_TIME", "price": "3", "step_size": 1},
    ]
    assert version.note == "winter prices"


def test_overlapping_rows_are_refused_with_the_element_named(org, client, tariff):
    client.force_login(org.fleet_manager_a)
    form = {
        "version-valid_from": "2026-12-01 00:00",
        "version-tax_percent": "19",
        "el-TOTAL_FORMS": "2",
        "el-INITIAL_FORMS": "0",
        "el-0-energy_price": "0.25",
        "el-0-start_time": "07:00",
        "el-0-end_time": "22:00",
        "el-1-energy_price": "0.40",
        "el-1-start_time": "20:00",
        "el-1-end_time": "23:00",
        "save": "1",
    }
    response = client.post(f"/pricing/tariffs/{tariff.pk}/versions/new/", form)
    assert response.status_code == 200
    assert "elements[1].restrictions.start_time" in response.content.decode()
    assert tariff.versions.count() == 1


def test_a_tariff_is_created_in_the_dashboard(org, client):
    site = SiteFactory(department=org.a, name="East")
    client.force_login(org.fleet_manager_a)
    form = {
        "tariff-name": "East",
        "tariff-department": org.a.pk,
        "tariff-currency": "EUR",
        "tariff-site": site.pk,
        "version-valid_from": "2026-01-01 00:00",
        "version-tax_percent": "19",
        "el-TOTAL_FORMS": "1",
        "el-INITIAL_FORMS": "0",
        "el-0-energy_price": "0.39",
        "save": "1",
    }
    assert client.post("/pricing/tariffs/new/", form).status_code == 302
    assert Tariff.objects.get(name="East").versions.get().elements[0]["price_components"][0]["price"] == "0.39"
    bad = client.post("/pricing/tariffs/new/", {**form, "tariff-name": "Bad", "tariff-currency": "XXY"})
    assert "currency" in bad.content.decode() and not Tariff.objects.filter(name="Bad").exists()


def test_other_departments_tariffs_are_not_found_and_roles_apply(org, client, tariff):
    client.force_login(org.fleet_manager_b)
    assert client.get(f"/pricing/tariffs/{tariff.pk}/").status_code == 404
    client.force_login(org.technician_a)
    assert client.get("/pricing/").status_code == 403
    client.force_login(org.dispatcher_a)
    assert client.get(f"/pricing/tariffs/{tariff.pk}/versions/new/").status_code == 403
