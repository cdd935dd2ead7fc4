"""The CSV import page in Chromium at 1280 px: a file with errors lists every row's problem and offers no Import;
a clean file shows what it would create, and Import stores it."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fleet.tests.factories import VehicleFactory
from operations.models import Trip
from stations.tests.factories import SiteFactory
from tests.browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_checks_a_file_sees_each_rows_errors_then_imports_a_clean_one(org, page, tmp_path):
    VehicleFactory(department=org.a, fleet_number="WB-001")
    SiteFactory(department=org.a, name="Westbrook Depot", time_zone="Europe/Berlin")
    day = (timezone.now() + timedelta(days=3)).date().isoformat()
    header = "vehicle,depot,departs_at,returns_at,distance_km\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + f"WB-001,Westbrook Depot,{day} 06:30,{day} 15:00,140\n"
                   f"WB-001,Westbrook Depot,{day} 08:00,{day} 09:00,twelve\n"
                   f"NOPE,Westbrook Depot,{day} 16:00,{day} 17:00,10\n")  # fmt: skip
    good = tmp_path / "good.csv"
    good.write_text(header + f"WB-001,Westbrook Depot,{day} 06:30,{day} 15:00,140\n")

    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, org.fleet_manager_a)
    page.goto("/operations/import/")
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="Check").click()
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("twelve")
    expect(errors.nth(1)).to_contain_text("NOPE")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    _shot(page, tmp_path, "import-errors")

    page.set_input_files("#id_file", str(good))
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#import-preview tbody tr")).to_have_count(1)
    expect(page.locator("#import-preview")).to_contain_text("06:30")
    _shot(page, tmp_path, "import-clean")
    assert Trip.objects.count() == 0
    page.get_by_role("button", name="Import 1 row").click()
    expect(page.get_by_text("Trips imported: 1 row.")).to_be_visible()
    assert Trip.objects.get().vehicle.fleet_number == "WB-001"


def _shot(page, tmp_path, name):
    """A full-page screenshot, kept where EVFLEET_SCREENSHOTS points (to look at), else in the test's tmp dir."""
    folder = os.environ.get("EVFLEET_SCREENSHOTS") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
