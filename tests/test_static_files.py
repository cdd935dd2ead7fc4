"""Static files under hashed names, cached for good; plain names briefly; pages that work before collectstatic; the
favicon; the way back from the API docs."""

import brotli
import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings
from whitenoise.compress import Compressor

HASHED_STORAGE = {"BACKEND": "evfleet.staticfiles.HashedStaticFilesStorage"}
TEN_YEARS = "max-age=315360000"


class _BrotliSpy:
    """Counts the files Brotli compresses. Quality 5: the names and headers are under test, not the ratio (Plotly
    at Brotli's default quality takes the better part of a minute)."""

    def __init__(self):
        self.files = 0

    def __call__(self, data):
        self.files += 1
        return brotli.compress(data, quality=5)


@pytest.fixture(scope="module")
def brotli_spy():
    spy = _BrotliSpy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Compressor, "compress_brotli", staticmethod(spy))
        yield spy


@pytest.fixture(scope="module")
def collected_once(tmp_path_factory, brotli_spy):
    """`collectstatic` with the production storage into a directory of this module's own, once."""
    root = tmp_path_factory.mktemp("collected")
    with override_settings(STATIC_ROOT=root, STORAGES={**settings.STORAGES, "staticfiles": HASHED_STORAGE}):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def collected(settings, collected_once):
    settings.STATIC_ROOT = collected_once
    settings.STORAGES = {**settings.STORAGES, "staticfiles": HASHED_STORAGE}
    return collected_once


def _hashed(name: str) -> str:
    url = static(name)
    stem, dot, extension = name.rpartition(".")
    assert url.startswith(f"/static/{stem}.") and url.endswith(f".{extension}") and url != f"/static/{name}", url
    return url


def test_after_collectstatic_pages_link_static_files_by_hashed_names(collected, org, client):
    for name in ("css/app.css", "js/app.js", "js/live.js", "vendor/plotly.min.js", "img/favicon.svg"):
        assert (collected / _hashed(name).removeprefix("/static/")).is_file()

    client.force_login(org.fleet_manager_a)
    html = client.get("/fleet/").content.decode()
    assert f'href="{_hashed("css/app.css")}"' in html
    assert f'src="{_hashed("js/app.js")}"' in html
    assert f'href="{_hashed("img/favicon.svg")}"' in html


def test_a_hashed_file_is_cached_for_good_and_compressed_and_a_plain_name_only_briefly(collected):
    client = Client()  # its WhiteNoise reads the collected directory

    plotly = client.get(_hashed("vendor/plotly.min.js"), HTTP_ACCEPT_ENCODING="br, gzip")
    assert plotly.status_code == 200
    assert TEN_YEARS in plotly["Cache-Control"] and "immutable" in plotly["Cache-Control"]
    assert plotly["Content-Encoding"] == "br"
    assert int(plotly["Content-Length"]) < 2_000_000  # 4.8 MB uncompressed

    css = client.get(_hashed("css/app.css"))
    assert TEN_YEARS in css["Cache-Control"] and "immutable" in css["Cache-Control"]

    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200
    assert plain["Cache-Control"] == "max-age=60, public"


def test_collectstatic_again_compresses_nothing_it_compressed_before(collected, brotli_spy):
    hashed = set(staticfiles_storage.hashed_files.values())
    compressor = Compressor(quiet=True)
    # Files Brotli could not make smaller have no compressed copy: those are tried again (a few small images).
    incompressible = [
        name
        for name in hashed
        if compressor.should_compress(name)
        and not (collected / f"{name}.br").exists()
        and not (collected / f"{name}.gz").exists()
    ]
    assert len(incompressible) < 5
    before = brotli_spy.files
    assert before > len(hashed) / 2

    call_command("collectstatic", interactive=False, verbosity=0)

    assert brotli_spy.files - before == len(incompressible)


def test_without_collectstatic_pages_link_plain_names_and_still_work(settings, tmp_path, org, client):
    settings.STATIC_ROOT = tmp_path / "never-collected"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {**settings.STORAGES, "staticfiles": HASHED_STORAGE}
    assert staticfiles_storage.url("css/app.css") == "/static/css/app.css"

    client.force_login(org.fleet_manager_a)
    response = client.get("/fleet/")
    assert response.status_code == 200
    assert 'href="/static/css/app.css"' in response.content.decode()
    assert client.get("/static/css/app.css").status_code == 200


def test_a_file_added_after_collectstatic_is_linked_by_its_plain_name(collected):
    assert staticfiles_storage.url("css/not-collected-yet.css") == "/static/css/not-collected-yet.css"


def test_the_favicon_is_linked_from_every_page_and_answers_at_favicon_ico(org, client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in icon.content

    assert 'rel="icon" href="/static/img/favicon.svg"' in client.get("/accounts/login/").content.decode()
    client.force_login(org.fleet_manager_a)
    assert 'rel="icon" href="/static/img/favicon.svg"' in client.get("/fleet/").content.decode()


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_reference_pages_lead_back_to_the_dashboard_and_the_guide(path, org, client):
    client.force_login(org.integrator_a)
    html = client.get(path).content.decode()
    assert '<a class="back" href="/">← Back to the dashboard</a>' in html
    assert 'href="/api/guide/"' in html
    assert 'rel="icon" href="/static/img/favicon.svg"' in html


@pytest.mark.parametrize(
    "path", ["/analytics/", "/analytics/compare/", "/analytics/trends/", "/analytics/environment/"]
)
def test_the_analytics_pages_load_plotly_without_holding_up_their_first_paint(path, org, client):
    client.force_login(org.fleet_manager_a)
    html = client.get(path).content.decode()
    assert '<script src="/static/vendor/plotly.min.js" defer></script>' in html
    assert 'document.addEventListener("DOMContentLoaded"' in html  # the charts are drawn once Plotly has run
