"""Settings come from the environment and fail loudly on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from evfleet import env

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("function", "value", "message"),
    [
        (lambda: env.env_bool("X_FLAG"), "maybe", "not a boolean"),
        (lambda: env.env_int("X_NUMBER", 1, minimum=1), "0", "below the minimum"),
        (lambda: env.env_int("X_NUMBER", 1), "ten", "not a whole number"),
        (lambda: env.env_url("X_URL", schemes=("postgres",)), "mysql://db/x", "must start with one of postgres://"),
    ],
)
def test_bad_environment_values_raise_improperly_configured(monkeypatch, function, value, message):
    for name in ("X_FLAG", "X_NUMBER", "X_URL"):
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        function()


def _check(extra_env, *args):
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CI")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env={**base, **extra_env},
        capture_output=True,
        text=True,
    )


def test_an_unsupported_database_url_stops_the_start_with_the_fix(tmp_path):
    result = _check({"DATABASE_URL": "mysql://root@localhost/x", "EVFLEET_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DATABASE_URL must start with one of postgres://" in result.stderr


def test_deploy_check_is_clean_behind_an_https_proxy(tmp_path):
    result = _check(
        {
            "DJANGO_SECRET_KEY": "x" * 20 + "a-long-and-random-production-secret-key-for-tests",
            "DJANGO_HTTPS": "true",
            "DJANGO_ALLOWED_HOSTS": "fleet.example.com",
            "EVFLEET_DATA_DIR": str(tmp_path),
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    # SECURE_SSL_REDIRECT stays off by design: the reverse proxy redirects HTTP (see README).
    remaining = [line for line in result.stderr.splitlines() + result.stdout.splitlines() if "?: (" in line]
    assert [line for line in remaining if "security.W008" not in line] == [], result.stderr + result.stdout


def test_debug_is_off_unless_asked(settings):
    assert os.environ.get("DJANGO_DEBUG") or settings.DEBUG is False
