"""What the dispatcher does from the depot view that no lower app offers as one call: a vehicle's priority with
the re-plan it calls for, and a charge point's reset or a connector's unlock as the station's protocol spells
them. Each goes through the owning app's service (fleet's vehicle_update, stations' command_request), which logs
it; starting and stopping a session are charging's own services, called by the views as they are."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from charging.models import ChargingSession
from evfleet.jobs import enqueue
from fleet import services as fleet_services
from fleet.models import Vehicle
from stations import services as station_services
from stations.models import ChargePoint, Connector, OcppCommand
from stations.ocpp.commands import command_problem

RESET_KINDS = {  # what the page offers → the protocol's Reset type
    "soft": {"ocpp1.6": "Soft", "ocpp2.0.1": "OnIdle"},
    "hard": {"ocpp1.6": "Hard", "ocpp2.0.1": "Immediate"},
}


@transaction.atomic
def vehicle_priority_set(*, actor: User | None, vehicle: Vehicle, priority_class: str) -> list[int]:
    """Give `vehicle` another charging priority (fleet's vehicle_update, logged) and have smart charging re-plan
    each smart-charging site it charges at now, once this commits. Returns those sites' ids."""
    if priority_class not in Vehicle.PriorityClass.values:
        raise ValidationError(
            {"priority_class": f"Unknown priority {priority_class!r}: use {', '.join(Vehicle.PriorityClass.values)}."}
        )
    fleet_services.vehicle_update(actor=actor, vehicle=vehicle, priority_class=priority_class)
    sites = list(
        ChargingSession.objects.filter(
            vehicle=vehicle, ended_at__isnull=True, charge_point__site__smart_charging=True
        ).values_list("charge_point__site_id", flat=True).distinct()
    )  # fmt: skip
    for site_id in sites:
        enqueue("charging.tasks.smart_charging_plan", site_id=site_id, trigger="manual")
    return sites


def _send(*, actor: User | None, charge_point: ChargePoint, action: str, request: dict, about: str) -> OcppCommand:
    if not charge_point.is_connected:
        raise ValidationError(
            {"charge_point": f"{charge_point.identity} is offline: the {action} cannot reach it; try once it is back."}
        )
    problem = command_problem(protocol=charge_point.protocol, action=action, payload=request)
    if problem is not None:
        raise ValidationError({problem[0]: problem[1]})
    with transaction.atomic():
        return station_services.command_request(
            actor=actor, charge_point=charge_point, action=action, request=request, about=about
        )


def charge_point_reset(*, actor: User | None, charge_point: ChargePoint, kind: str = "soft") -> OcppCommand:
    """Send the station a Reset: `soft` (1.6 Soft, 2.0.1 OnIdle) or `hard` (1.6 Hard, 2.0.1 Immediate)."""
    if kind not in RESET_KINDS:
        raise ValidationError({"kind": f"Unknown reset {kind!r}: use soft or hard."})
    reset_type = RESET_KINDS[kind].get(charge_point.protocol, "")
    return _send(actor=actor, charge_point=charge_point, action="Reset", request={"type": reset_type},
                 about=f" ({kind} reset)")  # fmt: skip


def connector_unlock(*, actor: User | None, connector: Connector) -> OcppCommand:
    """Send the station an UnlockConnector for `connector` (a cable stuck in the socket)."""
    charge_point = connector.charge_point
    if charge_point.protocol == "ocpp2.0.1":
        request = {"evseId": connector.evse_id, "connectorId": connector.connector_id}
    else:  # OCPP 1.6 numbers connectors per station: EVSE n, connector 1
        request = {"connectorId": connector.evse_id}
    return _send(actor=actor, charge_point=charge_point, action="UnlockConnector", request=request,
                 about=f" (unlock {connector.label()})")  # fmt: skip
