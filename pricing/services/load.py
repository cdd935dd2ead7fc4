"""Load-based (dynamic) pricing: a site's policy, the price set for each 15-minute interval from the load measured
in the interval before (read through pricing.usage, from charging) and the grid's signals, and the feed of those
signals."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.audit import model_create, model_update
from accounts.models import User
from pricing import engine, selectors
from pricing.gridsignals import configured_feed
from pricing.models import GridSignal, LoadPricing, PriceInterval
from pricing.usage import source as usage_source
from pricing.validation import TariffInvalid, curve_multiplier, parse_curve
from stations.models import Site

__all__ = [
    "INTERVAL",
    "grid_signals_fetch",
    "load_intervals",
    "load_pricing_save",
    "price_interval_record",
]

INTERVAL = timedelta(minutes=15)


def load_pricing_save(
    *, actor: User | None, site: Site, instance: LoadPricing | None = None, **data: Any
) -> LoadPricing:
    if "curve" in data:
        try:
            parse_curve(data["curve"])
        except TariffInvalid as exc:
            raise ValidationError(exc.errors) from None
    if instance is None:
        return model_create(model=LoadPricing, data={"site": site, **data}, actor=actor)
    return model_update(instance=instance, data=data, actor=actor)


def _interval_values(policy: LoadPricing, site: Site, start: datetime, load_kw: Decimal, signals) -> dict:
    load_percent = (load_kw / site.grid_limit_kw * 100).quantize(Decimal("0.01"))
    signal_load = next((s.load_percent for s in signals if s.load_percent is not None), None)
    signal_price = next((s.price_per_kwh for s in signals if s.price_per_kwh is not None), None)
    effective = max(load_percent, signal_load) if (signal_load is not None and policy.use_grid_load) else load_percent
    multiplier = curve_multiplier(parse_curve(policy.curve), effective).quantize(Decimal("0.0001"))
    adder = Decimal(0)
    if signal_price is not None and policy.grid_price_reference is not None:
        adder = ((signal_price - policy.grid_price_reference) * policy.grid_price_share_percent / 100).quantize(
            Decimal("0.000001")
        )
    return {
        "site": site,
        "starts_at": start,
        "ends_at": start + INTERVAL,
        "site_load_kw": load_kw,
        "load_percent": load_percent,
        "grid_load_percent": signal_load,
        "grid_price_per_kwh": signal_price,
        "multiplier": multiplier,
        "adder": adder,
        "floor_price": policy.floor_price,
        "cap_price": policy.cap_price,
    }


def price_interval_record(
    *, site: Site, starts_at: datetime, policy: LoadPricing | None = None
) -> PriceInterval | None:
    """Set and store the dynamic price of the interval starting at `starts_at`, from the load measured in
    the interval before it. Recording the same interval again returns the stored one."""
    policy = policy or selectors.load_pricing_of(site)
    if policy is None:
        return None
    existing = PriceInterval.objects.filter(site=site, starts_at=starts_at).first()
    if existing is not None:
        return existing
    load_kw = usage_source().site_load_kw(site, starts_at - INTERVAL, starts_at)  # charging's meter samples
    signals = selectors.grid_signals(site, starts_at, starts_at + INTERVAL)
    try:
        with transaction.atomic():
            return PriceInterval.objects.create(**_interval_values(policy, site, starts_at, load_kw, signals))
    except IntegrityError:  # recorded meanwhile by another worker
        return PriceInterval.objects.get(site=site, starts_at=starts_at)


def load_intervals(site: Site, start: datetime, end: datetime, *, record: bool) -> tuple[list, str]:
    """The dynamic price in every interval of [start, end): recorded where the time has come (recording what
    is missing when `record`), else forecast from the latest recorded load and the grid signals."""
    policy = selectors.load_pricing_of(site)
    if policy is None:
        return [], ""
    now = timezone.now()
    stored = {p.starts_at: p for p in selectors.price_intervals(site, start - INTERVAL, end)}
    latest = PriceInterval.objects.filter(site=site).aggregate(at=Max("starts_at"))["at"]
    latest_row = stored.get(latest) or (
        PriceInterval.objects.filter(site=site, starts_at=latest).first() if latest else None
    )
    signals = selectors.grid_signals(site, start, end)
    result, forecast = [], False
    moment = selectors.interval_start(start)
    while moment < end:
        row = stored.get(moment)
        if row is None and record and moment <= now:
            row = price_interval_record(site=site, starts_at=moment, policy=policy)
        if row is None:
            forecast = True
            load_kw = latest_row.site_load_kw if latest_row else Decimal(0)
            here = [s for s in signals if s.starts_at <= moment < s.ends_at]
            row = PriceInterval(**_interval_values(policy, site, moment, load_kw, here))
        label = f"site load {row.load_percent.normalize():f} %"
        if row.grid_load_percent is not None:
            label += f", grid load {row.grid_load_percent.normalize():f} %"
        if row.grid_price_per_kwh is not None:
            label += f", grid price {row.grid_price_per_kwh.normalize():f}"
        if row.pk is None:
            label += " (forecast)"
        result.append(
            engine.LoadInterval(
                row.starts_at, row.ends_at, row.multiplier, row.adder, row.floor_price, row.cap_price, label
            )
        )
        moment += INTERVAL
    return result, "forecast from the latest measured load" if forecast else "recorded"


def grid_signals_fetch(*, site: Site, start: datetime, end: datetime, feed=None) -> int:
    """Store what the grid signal feed says for the site over [start, end); a repeated interval is updated.
    All or nothing: an unreadable feed raises FeedError and stores none of it."""
    feed = feed or configured_feed()
    source, signals = feed.fetch(site=site, start=start, end=end)
    with transaction.atomic():
        for signal in signals:
            GridSignal.objects.update_or_create(
                site=site,
                source=source,
                starts_at=signal.starts_at,
                defaults={
                    "ends_at": signal.ends_at,
                    "price_per_kwh": signal.price_per_kwh,
                    "load_percent": signal.load_percent,
                },
            )
    return len(signals)
