"""The demo a new user sees after `make run` (fleet.demo + analytics.demo): its history is history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from charging.models import ChargingSession
from demo.build import build_demo


@pytest.mark.django_db
def test_the_demos_charging_history_holds_no_session_that_starts_or_ends_in_the_future(monkeypatch):
    # built early in the morning (03:00 UTC), while the night's queued sessions would still be charging
    real = timezone.now()
    now = real.replace(hour=3, minute=0, second=0, microsecond=0)
    now = now if now <= real else now - timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: now)
    build_demo(days=1)
    history = ChargingSession.objects.filter(transaction_id__startswith="DEMO-")
    assert history.exists()
    assert not history.filter(started_at__gt=now).exists()
    assert not history.filter(ended_at__gt=now).exists()
    assert not history.filter(status=ChargingSession.Status.COMPLETED, ended_at__isnull=True).exists()
