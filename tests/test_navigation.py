"""The main navigation: each page once, for every role (two merges once left two "Routing" entries)."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')


@pytest.mark.parametrize("role", ["admin", "fleet_manager_a", "dispatcher_a", "technician_a", "analyst_a"])
def test_the_main_navigation_names_each_page_once(org, role):
    client = Client()
    client.force_login(getattr(org, role))
    page = client.get("/fleet/").content.decode()
    links = LINK.findall(NAV.search(page)[1])
    hrefs = [href for href, _ in links]
    names = [name.strip() for _, name in links]
    assert len(hrefs) == len(set(hrefs)), hrefs
    assert len(names) == len(set(names)), names
    assert names.count("Routing") == 1
