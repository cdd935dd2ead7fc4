"""The cost of a charging session: its energy over time from the meter readings, priced by the pricing app with
the tariff version in force at its start, the customer's contract and the site's calendar and load intervals."""

import logging
import math
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from charging import selectors
from charging.models import ChargingSession
from pricing import engine
from pricing.services import (
    Priced,
    PricingError,
    engine_calendar,
    engine_contract,
    engine_tariff,
    load_intervals,
    pricing_inputs,
)

__all__ = [
    "session_price",
    "session_price_failed",
    "session_usage",
]

logger = logging.getLogger(__name__)


def session_usage(session: ChargingSession) -> engine.Usage:
    """The session's cumulative energy from its meter readings (kWh since the start)."""
    start_wh = Decimal(str(session.meter_start_wh))
    points = [(session.started_at, Decimal(0))]
    readings = session.meter_samples.filter(energy_wh__isnull=False).order_by("sampled_at")
    for moment, energy_wh in readings.values_list("sampled_at", "energy_wh"):
        if session.started_at < moment < session.ended_at and math.isfinite(energy_wh):  # NaN, ±inf: no reading
            kwh = max((Decimal(str(energy_wh)) - start_wh) / 1000, points[-1][1])  # never backwards
            points.append((moment, kwh))
    final = max(Decimal(str(session.energy_kwh)).quantize(Decimal("0.001")), points[-1][1])
    points.append((session.ended_at, final))
    return engine.Usage(tuple(points))


@transaction.atomic
def session_price(*, session_id: int) -> ChargingSession | None:
    """Price a finished session with the tariff version in force at its start; store the cost and lines.
    Pricing it again (a task retried) computes the same result with the same version."""
    session = (
        ChargingSession.objects.select_for_update(of=("self",))
        .select_related("connector__charge_point__site", "customer", "tariff_version__tariff")
        .filter(pk=session_id)
        .first()
    )
    if session is None or session.ended_at is None:
        return session
    site = session.connector.charge_point.site
    if site is None:
        return session
    try:
        contract, version = pricing_inputs(session.connector, session.customer, session.started_at)
    except PricingError as exc:  # no tariff there (yet): the session stays unpriced, and says why
        session.cost_breakdown = {"error": " ".join(m for ms in exc.message_dict.values() for m in ms)}
        session.save(update_fields=["cost_breakdown", "updated_at"])
        logger.info("Session %s not priced: %s", session.pk, session.cost_breakdown["error"])
        return session
    if not (math.isfinite(session.meter_start_wh) and math.isfinite(session.energy_kwh)):
        return session_price_failed(
            session_id=session.pk,
            reason=f"its energy ({session.energy_kwh} kWh from a meter start of {session.meter_start_wh} Wh) is not "
            "a number; correct the session's meter figures, then price it again.",
        )
    if session.tariff_version_id is not None:
        version = session.tariff_version
    usage = session_usage(session)
    month = (
        selectors.customer_month_kwh(session.customer, before=session.started_at, time_zone=site.time_zone)
        if session.customer
        else Decimal(0)
    )
    load, _ = load_intervals(site, usage.start, usage.end, record=True)
    result = engine.price(
        engine_tariff(version),
        usage,
        engine_calendar(site, usage.start, usage.end),
        load=load,
        contract=engine_contract(contract, month_kwh_before=month),
    )
    cost_field = ChargingSession._meta.get_field("cost_total")
    if not all(
        abs(v) < Decimal(10) ** (cost_field.max_digits - cost_field.decimal_places)
        for v in (result.total_excl_tax, result.tax, result.total)
    ):
        return session_price_failed(
            session_id=session.pk,
            reason=f"its cost ({result.total} {result.currency} for {session.energy_kwh} kWh) is beyond what a session "
            "can cost; correct the session's meter figures, then price it again.",
        )
    priced = Priced(result, version, contract, session.customer)
    session.tariff_version = version
    session.currency = result.currency
    session.cost_excl_tax, session.cost_tax, session.cost_total = result.total_excl_tax, result.tax, result.total
    session.cost_breakdown = priced.as_dict()
    session.priced_at = timezone.now()
    session.save(
        update_fields=[
            "tariff_version",
            "currency",
            "cost_excl_tax",
            "cost_tax",
            "cost_total",
            "cost_breakdown",
            "priced_at",
            "updated_at",
        ]
    )
    from charging.services.notices import cost_threshold_check

    cost_threshold_check(session)
    return session


def session_price_failed(*, session_id: int, reason: str) -> ChargingSession | None:
    """A session could not be priced, for good: it stays unpriced and says why (its page shows "Not priced: …",
    the API its cost_breakdown). A session priced before keeps its price."""
    session = ChargingSession.objects.filter(pk=session_id).first()
    if session is None or session.cost_total is not None:
        return session
    session.cost_breakdown = {"error": reason[:500]}
    session.save(update_fields=["cost_breakdown", "updated_at"])
    logger.error("Session %s not priced: %s", session_id, reason)
    return session
