"""The routing home (/routing/): the form, the comparison table, errors next to their field, scoping, queries; and
in Chromium, the three routes drawn on the map and a place picked by a click."""

import re
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from routing.tests.test_paths_api import city, make_unreadable  # noqa: F401 (the fixture)

URL = "/routing/"


def query(city, **extra):  # noqa: F811
    params = {"vehicle": city.vehicle.pk, "origin_lat": city.origin["latitude"], "origin_lon": city.origin["longitude"],
              "destination_site": city.site.pk, "departs": "2026-12-03T08:30", **extra}  # fmt: skip
    return f"{URL}?{urlencode(params)}"


@pytest.mark.django_db
def test_the_page_offers_the_form_and_the_graphs_roads_before_a_query(city, org, client):  # noqa: F811
    client.force_login(org.dispatcher_a)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Road graph: Test city" in html and 'id="paths-data"' in html
    assert str(city.vehicle.fleet_number) in html and str(city.other.fleet_number) not in html
    assert "Depot Kallio" in html and city.site_b.name not in html
    assert response.context["map_data"]["roads"] and not response.context["map_data"]["routes"]
    assert 'href="/routing/"' in html  # the nav entry


@pytest.mark.django_db
def test_a_query_shows_the_three_routes_side_by_side_with_their_differences(city, org, client):  # noqa: F811
    client.force_login(org.fleet_manager_a)
    response = client.get(query(city))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["metric"] for r in rows] == ["shortest", "fastest", "least_energy"]
    html = response.content.decode()
    for label in ("Shortest", "Fastest", "Least energy"):
        assert label in html
    assert re.search(r"[−+±]\d+\.\d % kWh, [−+±]\d+\.\d min, [−+±]\d+\.\d % distance", html)
    assert "Distance (km)" in html and "Energy (kWh)" in html
    assert len(response.context["map_data"]["routes"]) == 3


@pytest.mark.django_db
def test_a_point_outside_the_graph_is_shown_next_to_its_field(city, org, client):  # noqa: F811
    client.force_login(org.fleet_manager_a)
    response = client.get(query(city, origin_lat=48.85, origin_lon=2.35))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "outside every imported road graph" in errors["origin_lat"][0]
    response = client.get(query(city, destination_site="", destination_lat=60.17))
    assert (
        "Choose a site, type the latitude and longitude, or click the map."
        in response.context["form"].errors["destination_lon"][0]
    )


@pytest.mark.django_db
def test_a_graph_stored_in_an_old_format_says_to_re_import_it(city, org, client):  # noqa: F811
    make_unreadable(city.graph)
    client.force_login(org.dispatcher_a)
    response = client.get(query(city))
    assert response.status_code == 200 and response.context["result"] is None
    [error] = response.context["form"].non_field_errors()
    assert "The road graph of Test city cannot be read" in error and "must re-import Test city" in error
    assert "must re-import Test city" in response.content.decode()


@pytest.mark.django_db
def test_another_departments_vehicle_is_not_a_choice(city, org, client):  # noqa: F811
    client.force_login(org.fleet_manager_b)
    response = client.get(query(city))
    assert "vehicle" in response.context["form"].errors
    assert response.context["result"] is None


@pytest.mark.django_db
def test_integrators_are_sent_to_the_api(city, org, client):  # noqa: F811
    client.force_login(org.integrator_a)
    assert client.get(URL).status_code == 302


@pytest.mark.django_db
def test_the_page_runs_a_constant_number_of_queries(city, org, client, django_assert_max_num_queries):  # noqa: F811
    from fleet.tests.factories import VehicleFactory
    from stations.tests.factories import SiteFactory

    client.force_login(org.fleet_manager_a)
    client.get(query(city))  # the graph's arrays: read once per process
    with django_assert_max_num_queries(16) as few:
        client.get(query(city))
    VehicleFactory.create_batch(10, department=org.a, vehicle_model=city.vehicle.vehicle_model)
    SiteFactory.create_batch(10, department=org.a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(query(city))


# --- in Chromium --------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_three_routes_draw_on_the_map_and_a_click_picks_a_place(city, org, page):  # noqa: F811
    from tests.browser import _log_in

    refused = []

    def guard(route):
        if urlsplit(route.request.url).hostname != "127.0.0.1":
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", guard)
    _log_in(page, org.fleet_manager_a)
    page.goto(query(city))
    expect(page.locator("#paths-result table tbody tr")).to_have_count(3)
    for metric in ("shortest", "fastest", "least_energy"):
        expect(page.locator(f"#paths-map path[data-metric='{metric}']")).to_have_count(1)
    expect(page.locator("#paths-map .pin-origin")).to_have_count(1)
    # pick a new origin on the map
    page.get_by_role("button", name="Pick on the map").first.click()
    box = page.locator("#paths-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    latitude = page.locator("#id_origin_lat").input_value()
    assert latitude and latitude != str(city.origin["latitude"])
    page.get_by_role("button", name="Compare routes").click()
    expect(page.locator("#paths-map path[data-metric='fastest']")).to_have_count(1)
    assert refused == []
