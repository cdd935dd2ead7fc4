"""Charging's side of simulation's port (simulation/observations.py): finished sessions with the first and last SoC
their meter samples reported, from which simulation makes capacity observations. Registered in
ChargingConfig.ready() as the source "charging.session"."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import OuterRef, Subquery

from charging.models import ChargingSession, MeterSample
from simulation.observations import SessionRecord

SOURCE = "charging.session"


def finished_sessions(vehicle_ids: Iterable[int], since: datetime, until: datetime) -> list[SessionRecord]:
    """The sessions of `vehicle_ids` that ended in [since, until) with energy and an SoC reading at both ends: one
    query (the first and last SoC are subqueries on the (session, sampled_at) index)."""
    with_soc = MeterSample.objects.filter(session=OuterRef("pk"), soc_percent__isnull=False)
    rows = (
        ChargingSession.objects.filter(
            vehicle_id__in=list(vehicle_ids), ended_at__gte=since, ended_at__lt=until, energy_kwh__gt=0
        )
        .annotate(
            soc_first=Subquery(with_soc.order_by("sampled_at").values("soc_percent")[:1]),
            soc_last=Subquery(with_soc.order_by("-sampled_at").values("soc_percent")[:1]),
        )
        .filter(soc_first__isnull=False, soc_last__isnull=False)
        .values_list("pk", "vehicle_id", "ended_at", "energy_kwh", "soc_first", "soc_last", "connector__current_type")
        .order_by("ended_at", "pk")
    )
    return [
        SessionRecord(
            source_id=pk,
            vehicle_id=vehicle_id,
            ended_at=ended_at,
            energy_kwh=energy_kwh,
            soc_start_percent=soc_first,
            soc_end_percent=soc_last,
            dc=current == "dc",
        )
        for pk, vehicle_id, ended_at, energy_kwh, soc_first, soc_last, current in rows
    ]
