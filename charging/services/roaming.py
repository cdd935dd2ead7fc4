"""Roaming: who may charge at a department's sites, and what a station is told about an RFID tag.

A station's Authorize, StartTransaction (1.6) and TransactionEvent (2.0.1) are answered by the checks a
remote start makes (`session_start`), in this order: the token itself, the host's roaming policy, the
vehicle's status, the connector's fit, and a transaction the vehicle has under way elsewhere. Reasons are
read by the host and by the vehicle's department, so they never name a VIN or an RFID tag.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import Action, activity_record, model_delete, snapshot
from accounts.models import Department, User
from charging.models import ChargingSession, IdToken, RoamingPolicy
from charging.roaming_rules import is_home, path_ids, policy_for, roaming_refusal
from evfleet import formatting
from fleet.models import Vehicle
from stations import selectors as station_selectors
from stations.models import ChargePoint, Connector

__all__ = [
    "Authorization",
    "guest_label",
    "is_home",
    "path_ids",
    "policy_for",
    "roaming_policy_check",
    "roaming_policy_delete",
    "roaming_policy_save",
    "roaming_refusal",
    "station_authorization",
]

# Kinds of answer, and the OCPP status each is in 1.6 (AuthorizationStatus) and 2.0.1 (AuthorizationStatusEnumType).
ACCEPTED, UNKNOWN, BLOCKED, EXPIRED = "accepted", "unknown", "blocked", "expired"
NOT_HERE, OUT_OF_SERVICE, INCOMPATIBLE, CONCURRENT = "not_here", "out_of_service", "incompatible", "concurrent"
OCPP_STATUS = {
    ACCEPTED: ("Accepted", "Accepted"),
    UNKNOWN: ("Invalid", "Unknown"),
    BLOCKED: ("Blocked", "Blocked"),
    EXPIRED: ("Expired", "Expired"),
    NOT_HERE: ("Invalid", "NotAtThisLocation"),  # 1.6 has no word for "valid, but not here"
    OUT_OF_SERVICE: ("Blocked", "Blocked"),
    INCOMPATIBLE: ("Invalid", "NotAllowedTypeEVSE"),
    CONCURRENT: ("ConcurrentTx", "ConcurrentTx"),
}
# Connector states in which an open session is really under way (1.6 statuses; 2.0.1 says Occupied); an open
# session on a connector in any other state, or of a disconnected station, is one whose stop was lost.
LIVE_CONNECTOR_STATES = ("Charging", "SuspendedEV", "SuspendedEVSE", "Occupied")


@dataclass(frozen=True)
class Authorization:
    """What the central system answers for an id tag at a station, and what the tag identifies."""

    kind: str
    reason: str = ""
    vehicle: Vehicle | None = None
    department_id: int | None = None  # the vehicle's, else the token's
    customer_id: int | None = None  # who is billed: the token's customer, else the vehicle's

    @property
    def accepted(self) -> bool:
        return self.kind == ACCEPTED

    def status(self, protocol: str) -> str:
        return OCPP_STATUS[self.kind][1 if protocol == ChargePoint.Protocol.OCPP201 else 0]

    def session_reason(self, protocol: str) -> str:
        """The session's `reason` for a refusal: what the station was told, and why."""
        return f"refused at the station ({self.status(protocol)}): {self.reason}"[:255] if not self.accepted else ""


def guest_label(vehicle: Vehicle) -> str:
    """A vehicle as a host may see it: its fleet number or plate, never its VIN."""
    return vehicle.fleet_number or vehicle.license_plate or f"a vehicle of {vehicle.department}"


# --- the policy ----------------------------------------------------------------------------------


def roaming_policy_check(*, department: Department, mode: str, allowed_departments: list[Department]) -> None:
    """Refuse a policy that cannot mean what it says, naming the field: a listed department that is the host
    itself, one of its teams or parents; no department with mode `listed`; departments with another mode."""
    if mode == RoamingPolicy.Mode.LISTED and not allowed_departments:
        raise ValidationError(
            {
                "allowed_departments": ValidationError(
                    "Name the departments whose vehicles may charge here, or choose another mode.", code="required"
                )
            }
        )
    if mode != RoamingPolicy.Mode.LISTED and allowed_departments:
        raise ValidationError(
            {
                "allowed_departments": ValidationError(
                    f"Departments are listed only with mode 'listed'; send an empty list with mode '{mode}'.",
                    code="not_listed_mode",
                )
            }
        )
    own = [listed for listed in allowed_departments if is_home(department, listed)]
    if own:
        names = ", ".join(str(d) for d in own)
        raise ValidationError(
            {
                "allowed_departments": ValidationError(
                    f"{names}: {department}'s own department, one of its teams or parents, whose vehicles charge "
                    "at its sites anyway; list only other departments.",
                    code="own_department",
                )
            }
        )


def _state(policy: RoamingPolicy) -> dict:
    return {**snapshot(policy), "allowed_departments": sorted(d.pk for d in policy.allowed_departments.all())}


def roaming_policy_save(
    *,
    actor: User | None,
    department: Department,
    mode: str,
    allowed_departments: list[Department],
    policy: RoamingPolicy | None = None,
) -> RoamingPolicy:
    """Create a department's roaming policy, or change `policy`; logged with the listed departments."""
    roaming_policy_check(department=department, mode=mode, allowed_departments=allowed_departments)
    with transaction.atomic():
        before = _state(policy) if policy is not None else None
        policy = policy or RoamingPolicy()
        policy.department, policy.mode = department, mode
        policy.full_clean()
        policy.save()
        policy.allowed_departments.set(allowed_departments)
        activity_record(
            action=Action.CREATE if before is None else Action.UPDATE,
            instance=policy,
            actor=actor,
            before=before,
            after=_state(policy),
        )
    return policy


def roaming_policy_delete(*, actor: User | None, policy: RoamingPolicy) -> None:
    """Without a policy of its own, the department's sites follow its nearest parent's (else: no visitors)."""
    model_delete(instance=policy, actor=actor)


# --- a station asks about a tag ------------------------------------------------------------------


def _concurrent(vehicle: Vehicle, charge_point: ChargePoint, connector: Connector | None, session_id: int | None):
    """The vehicle's session under way elsewhere: another connector (with no connector named, as in Authorize:
    another station, since a driver may present the card at this one to stop)."""
    others = (
        ChargingSession.objects.filter(vehicle=vehicle, ended_at__isnull=True)
        .exclude(status=ChargingSession.Status.PENDING)
        .filter(connector__status__in=LIVE_CONNECTOR_STATES, charge_point__is_connected=True)
    )
    if session_id is not None:
        others = others.exclude(pk=session_id)
    others = others.exclude(connector=connector) if connector is not None else others.exclude(charge_point=charge_point)
    return others.first()


def _fit_reason(vehicle: Vehicle, label: str, charge_point: ChargePoint, connector: Connector | None) -> str | None:
    rules = station_selectors.active_rules()
    if connector is not None:
        return station_selectors.incompatibility_reason(vehicle, connector, label=label, rules=rules)
    connectors = list(charge_point.connectors.all())
    if not connectors or any(station_selectors.vehicle_fit(vehicle, c, rules) is not None for c in connectors):
        return None
    return f"{label} fits none of {charge_point.identity}'s connectors"


def station_authorization(
    *,
    token: str,
    charge_point: ChargePoint,
    connector: Connector | None = None,
    vehicle: Vehicle | None = None,
    session_id: int | None = None,
    now: datetime | None = None,
) -> Authorization:
    """The answer for `token` at `charge_point` (at `connector` when the message names one: StartTransaction,
    TransactionEvent; Authorize does not). `vehicle` overrides the token's (a remote start's pending session);
    `session_id` is the transaction being asked about, which is not a concurrent one."""
    id_token = (
        IdToken.objects.select_related("department", "vehicle__department", "vehicle__vehicle_model")
        .filter(token=token)
        .first()
        if token
        else None
    )
    if id_token is None:
        # No card: a station that identifies the vehicle itself (ISO 15118, Autocharge) may report its VIN. The
        # session is the vehicle's, but a VIN is no credential: the answer stays "unknown".
        vin_vehicle = vehicle or (
            Vehicle.objects.select_related("department").filter(vin=token.strip().upper()).first() if token else None
        )
        if vin_vehicle is None:
            return Authorization(UNKNOWN, "the id tag is not registered")
        return Authorization(
            UNKNOWN, "the id tag is not registered", vin_vehicle, vin_vehicle.department_id, vin_vehicle.customer_id
        )
    vehicle = vehicle or id_token.vehicle
    department = vehicle.department if vehicle is not None else id_token.department
    found = {
        "vehicle": vehicle,
        "department_id": department.pk,
        "customer_id": id_token.customer_id or (vehicle.customer_id if vehicle is not None else None),
    }
    now = now or timezone.now()
    site = charge_point.site
    if not id_token.is_active:
        return Authorization(BLOCKED, "the RFID token is deactivated", **found)
    if id_token.expires_at and id_token.expires_at <= now:
        expired = formatting.local(id_token.expires_at, site.time_zone if site is not None else None)  # the site's
        return Authorization(EXPIRED, f"the RFID token expired at {expired}", **found)
    if site is None:
        return Authorization(NOT_HERE, f"{charge_point.identity} belongs to no site", **found)
    refusal = roaming_refusal(site.department, department)
    if refusal is not None:
        return Authorization(NOT_HERE, refusal, **found)
    if vehicle is None:
        return Authorization(ACCEPTED, **found)
    label = guest_label(vehicle)
    if vehicle.status in (Vehicle.Status.MAINTENANCE, Vehicle.Status.RETIRED):
        status = vehicle.get_status_display().lower()
        return Authorization(OUT_OF_SERVICE, f"{label} is {status}; set it active before charging it", **found)
    reason = _fit_reason(vehicle, label, charge_point, connector)
    if reason is not None:
        return Authorization(INCOMPATIBLE, reason, **found)
    other = _concurrent(vehicle, charge_point, connector, session_id)
    if other is not None:
        return Authorization(CONCURRENT, f"{label} is charging elsewhere (session {other.pk})", **found)
    return Authorization(ACCEPTED, **found)
