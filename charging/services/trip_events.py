"""What charging does when a trip changes (`operations.signals.trip_changed`, connected in `ChargingConfig.ready()`,
sent inside the trip's transaction): the smart-charging sites where the trip's vehicles are plugged in or booked
re-plan once the change is committed, since a vehicle's next departure and required SoC are what its plan aims at.
"""

from django.db.models import Q

from charging.models import ChargingSession, Reservation
from charging.services.smart_inputs import OPEN
from evfleet.jobs import enqueue
from stations.models import Site


def sites_of(vehicle_ids) -> list[int]:
    """The smart-charging sites where these vehicles are plugged in (an open session) or booked (a holding
    reservation), in one query."""
    ids = list(vehicle_ids)
    plugged = ChargingSession.objects.filter(vehicle_id__in=ids, status__in=OPEN, ended_at__isnull=True)
    booked = Reservation.objects.filter(vehicle_id__in=ids, status__in=Reservation.HOLDING)
    return list(
        Site.objects.filter(smart_charging=True)
        .filter(Q(pk__in=plugged.values("charge_point__site_id")) | Q(pk__in=booked.values("site_id")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def trip_changed(*, vehicle_ids, **_) -> None:
    from charging.models import ChargingPlan

    for site_id in sites_of(vehicle_ids):
        enqueue("charging.tasks.smart_charging_plan", site_id=site_id, trigger=ChargingPlan.Trigger.TRIP)


def connect() -> None:
    from operations import signals

    signals.trip_changed.connect(trip_changed, dispatch_uid="charging.trip_changed")
