"""A session is never left unpriced without saying why: stored readings that are not numbers are skipped, and a
session whose own figures cannot be priced, or whose pricing keeps failing, ends with the reason on its page."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from celery.exceptions import Retry

from charging import tasks
from charging.models import ChargingSession, MeterSample
from charging.services import transactions
from charging.tests.factories import SessionFactory
from pricing import engine, services
from stations.tests.factories import ChargePointFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db
T = datetime(2026, 6, 10, 10, tzinfo=UTC)


@pytest.fixture
def connector(org):
    site = SiteFactory(department=org.a)
    services.tariff_create(
        actor=None, name="Flat", department=org.a, currency="EUR", site=site,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC), tax_percent=D("0"),
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.50"}]}],
    )  # fmt: skip
    return ConnectorFactory(charge_point=ChargePointFactory(site=site), evse_id=1, max_power_kw=D("50"))


def _session(connector, **fields) -> ChargingSession:
    return SessionFactory(
        connector=connector,
        started_at=T,
        transaction_id=f"T-{connector.pk}",
        **{"meter_start_wh": 1000.0, "meter_last_wh": 1000.0, **fields},
    )


def _stop(session, meter_stop_wh, django_capture_on_commit_callbacks) -> ChargingSession:
    with django_capture_on_commit_callbacks(execute=True):  # the pricing task runs (eager Celery)
        transactions.transaction_stop(
            charge_point_id=session.charge_point_id,
            transaction_id=session.transaction_id,
            meter_stop_wh=meter_stop_wh,
            timestamp=T + timedelta(hours=2),
        )
    session.refresh_from_db()
    return session


def test_stored_readings_that_are_not_numbers_are_skipped_and_the_session_is_priced(
    connector, django_capture_on_commit_callbacks
):
    session = _session(connector)
    for minutes, energy_wh in [
        (30, 6000.0),
        (45, float("nan")),
        (60, float("inf")),
        (75, float("-inf")),
        (90, 16000.0),
    ]:
        MeterSample.objects.create(
            connector=connector, session=session, sampled_at=T + timedelta(minutes=minutes), energy_wh=energy_wh
        )
    session = _stop(session, 21000.0, django_capture_on_commit_callbacks)
    assert (session.energy_kwh, session.cost_total, session.currency) == (20.0, D("10.00"), "EUR")
    assert "error" not in session.cost_breakdown


def test_a_session_whose_energy_is_not_a_number_ends_unpriced_with_the_reason_at_once(connector):
    session = _session(connector, meter_last_wh=float("inf"), energy_kwh=float("inf"), ended_at=T + timedelta(hours=1))
    tasks.session_price.delay(session_id=session.pk)
    session.refresh_from_db()
    assert session.cost_total is None
    assert "is not a number" in session.cost_breakdown["error"]


@pytest.mark.parametrize(
    ("energy_kwh", "reason"),
    [
        (1e17, "is beyond what a session can cost"),  # a cost the session's fields cannot hold
        (1e30, "give no cost that can be computed"),  # beyond the precision of the pricing arithmetic
    ],
)
def test_a_session_whose_cost_is_beyond_any_price_ends_unpriced_with_the_reason(connector, energy_kwh, reason):
    session = _session(
        connector, meter_last_wh=energy_kwh * 1000, energy_kwh=energy_kwh, ended_at=T + timedelta(hours=1)
    )
    tasks.session_price.delay(session_id=session.pk)
    session.refresh_from_db()
    assert session.cost_total is None
    assert reason in session.cost_breakdown["error"]


def test_a_session_whose_pricing_keeps_failing_ends_unpriced_with_the_reason_after_the_last_retry(
    connector, monkeypatch
):
    session = _session(connector, meter_last_wh=5000.0, energy_kwh=4.0, ended_at=T + timedelta(hours=1))

    def failing_price(*args, **kwargs):  # a fault pricing cannot get past (a bug, a broken tariff)
        raise RuntimeError("tariff element 3 cannot be read")

    monkeypatch.setattr(engine, "price", failing_price)
    last = tasks.session_price.max_retries
    with pytest.raises(Retry):  # a first failure is retried and says nothing yet
        tasks.session_price.apply(kwargs={"session_id": session.pk}, retries=0, throw=True)
    session.refresh_from_db()
    assert not session.cost_breakdown
    with pytest.raises(RuntimeError):
        tasks.session_price.apply(kwargs={"session_id": session.pk}, retries=last, throw=True)
    session.refresh_from_db()
    assert session.cost_total is None
    assert "tariff element 3 cannot be read" in session.cost_breakdown["error"]
