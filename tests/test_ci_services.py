"""In CI every test must run on real PostgreSQL and Redis; this fails loudly if it does not."""

import os

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

IN_CI = bool(os.environ.get("CI"))


@pytest.mark.skipif(not IN_CI, reason="only CI promises PostgreSQL and Redis")
@pytest.mark.django_db
def test_ci_runs_on_postgresql():
    assert connection.vendor == "postgresql", f"CI ran on {connection.vendor}; set DATABASE_URL"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


@pytest.mark.skipif(not IN_CI, reason="only CI promises PostgreSQL and Redis")
def test_ci_runs_on_the_redis_channel_layer_and_broker():
    from asgiref.sync import async_to_sync
    from channels_redis.core import RedisChannelLayer

    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer), f"CI ran on {type(layer).__name__}; set REDIS_URL"
    assert settings.CELERY_BROKER_URL.startswith("redis")
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "ci.ping"})
    assert async_to_sync(layer.receive)(channel) == {"type": "ci.ping"}
