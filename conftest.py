"""Test-wide set-up: fast hashing, eager Celery, local mail; consumers run in this process.

The database and the channel layer are whatever the environment selects: SQLite and the
in-memory layer by default, PostgreSQL and Redis in CI (tests/test_ci_services.py checks that).
"""

import pytest

pytest_plugins = [
    "tests.live_server",  # asgi_live_server: the real ASGI app under uvicorn
    "tests.browser",  # browser and page: Debian's Chromium through Playwright
    "tests.smtp",  # smtp: a local SMTP server the mail tests send to
]


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No connection outlives its request in tests: a kept one would hold the test database at teardown.
    from django.db import connections

    for alias in connections:
        connections[alias].settings_dict["CONN_MAX_AGE"] = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    from evfleet import realtime
    from evfleet.celery import app

    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    realtime.mark_server_process()  # tests run the ASGI app, and so its consumers, in this process


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Generated files (reports) go to a directory of each test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def org(db):
    """Two organisations: A (with team A1 below it) and B, each with one user per role."""
    from accounts.models import User
    from accounts.tests.factories import DepartmentFactory, UserFactory

    a = DepartmentFactory(name="Org A")
    a1 = DepartmentFactory(name="Team A1", parent=a)
    b = DepartmentFactory(name="Org B")

    class Org:
        pass

    o = Org()
    o.a, o.a1, o.b = a, a1, b
    o.admin = UserFactory(username="root", role=User.Role.ADMIN, department=None)
    for role in User.Role:
        if role == User.Role.ADMIN:
            continue
        setattr(o, f"{role.value}_a", UserFactory(username=f"{role.value}-a", role=role, department=a))
        setattr(o, f"{role.value}_b", UserFactory(username=f"{role.value}-b", role=role, department=b))
    o.manager_a1 = UserFactory(username="fleet_manager-a1", role=User.Role.FLEET_MANAGER, department=a1)
    return o


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for
