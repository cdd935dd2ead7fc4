"""What charging tells people, and whom: sessions started, suspended, completed or failed; reservations
confirmed, pre-empted, expiring or missed; a session costing above its department's threshold; a vehicle leaving
below its SoC threshold. Each builds a `Notice` and hands it to notifications' one entrance, `notify`."""

from datetime import datetime

from charging.services.roaming import guest_label
from charging.services.vehicles import vehicle_label
from evfleet import formatting
from notifications import selectors as notification_selectors
from notifications.events import Event, Notice
from notifications.services import notify

SESSION_TITLES = {
    Event.SESSION_STARTED: "{vehicle} started charging at {where}",
    Event.SESSION_SUSPENDED: "{vehicle} charging suspended at {where}",
    Event.SESSION_COMPLETED: "{vehicle} finished charging at {where}",
    Event.SESSION_FAILED: "{vehicle}: charging failed at {where}",
}


def _alternative_text(alternative: dict, zone) -> str:
    start, end = (datetime.fromisoformat(alternative[key]) for key in ("starts_at", "ends_at"))
    return f"{alternative['connector_label']} {formatting.span(start, end, zone)}"


def _vehicle_name(vehicle) -> str:
    return vehicle_label(vehicle) if vehicle is not None else "A vehicle"


def session_event(session, event: str, detail: str = "") -> None:
    """A session started, was suspended, completed or failed: the people who run charging there hear it."""
    charge_point = session.charge_point
    if charge_point.site_id is None:
        return
    where = f"{charge_point.identity}/{session.connector.evse_id}"
    vehicle = session.vehicle
    name = _vehicle_name(vehicle)
    if vehicle is not None and not vehicle.department.is_within(charge_point.site.department):
        name = guest_label(vehicle)  # a visiting vehicle: its fleet number or plate, never its VIN
    title = SESSION_TITLES[event].format(vehicle=name, where=where)
    body = detail or (
        f"Session {session.pk}: {session.get_status_display().lower()}, {formatting.energy(session.energy_kwh)}."
    )
    notify(
        event=Notice(
            kind=event,
            department_id=charge_point.site.department_id,
            permission="charging.add_chargingsession",
            title=title,
            body=body,
            link=f"/sessions/{session.pk}/",
            data={"session": session.pk, "status": session.status},
            dedup_key=f"session-{session.pk}-{event}",
        )
    )


RESERVATION_EVENTS = {
    "confirmed": Event.RESERVATION_CONFIRMED,
    "offered": Event.RESERVATION_CONFIRMED,
    "preempted": Event.RESERVATION_PREEMPTED,
    "no_show": Event.RESERVATION_NO_SHOW,
    "expiring": Event.RESERVATION_EXPIRING,
}


def reservation_event(reservation, action: str, reason: str, alternatives: list | None = None) -> None:
    """Its owner hears about their reservation (else the people who book at that site), the times in the zone
    they read times in."""
    event = RESERVATION_EVENTS.get(action)
    if event is None:
        return
    owner = reservation.created_by
    audience = (
        {"users": (owner,)}
        if owner is not None and owner.is_active and not owner.is_api_only
        else {"department_id": reservation.site.department_id, "permission": "charging.add_reservation"}
    )
    where = reservation.connector.label() if reservation.connector_id else str(reservation.site)
    vehicle = _vehicle_name(reservation.vehicle)

    def title(zone) -> str:
        when = formatting.span(reservation.starts_at, reservation.ends_at, zone)
        return f"Reservation {Event(event).label.split(' ', 1)[1]}: {vehicle}, {when}"

    def body(zone) -> str:
        text = f"{where}: {reason}."
        if alternatives:
            text += " Alternatives: " + "; ".join(_alternative_text(a, zone) for a in alternatives)
        return text

    notify(
        event=Notice(
            kind=event, **audience, title=title, body=body, link="/reservations/",
            data={"reservation": reservation.pk, "alternatives": alternatives or []},
            dedup_key=f"reservation-{reservation.pk}-{action}",
        )
    )  # fmt: skip


def cost_threshold_check(session) -> None:
    """A priced session cost more than a threshold its department (or one above) set."""
    if session.cost_total is None or session.charge_point.site_id is None:
        return
    department_id = session.charge_point.site.department_id
    for rule in notification_selectors.threshold_rules(department_id, "session_cost"):
        if session.cost_total > rule.threshold:
            cost = formatting.money(session.cost_total, session.currency)
            notify(
                event=Notice(
                    kind=Event.SESSION_COST,
                    department_id=department_id,
                    permission="charging.view_chargingsession",
                    title=f"Session {session.pk} cost {cost}, "
                    f"above {formatting.money(rule.threshold, session.currency)}",
                    body=f"{_vehicle_name(session.vehicle)} at {session.charge_point.identity}: "
                    f"{formatting.energy(session.energy_kwh)} for {cost}.",
                    link=f"/sessions/{session.pk}/",
                    data={"session": session.pk, "threshold": str(rule.threshold)},
                    dedup_key=f"cost-{session.pk}",
                )
            )
            return


def departure_soc_check(reservation) -> None:
    """The vehicle's departure time came with its SoC below its department's threshold."""
    vehicle = reservation.vehicle
    if vehicle.soc_percent is None:
        return
    for rule in notification_selectors.threshold_rules(vehicle.department_id, "soc_at_departure"):
        if vehicle.soc_percent < float(rule.threshold):
            key = f"soc-departure-{reservation.pk}"
            if notification_selectors.notified(kind=Event.SOC_AT_DEPARTURE, dedup_key=key):
                return
            notify(
                event=Notice(
                    kind=Event.SOC_AT_DEPARTURE,
                    department_id=vehicle.department_id,
                    permission="charging.add_reservation",
                    title=f"{_vehicle_name(vehicle)} leaves with {formatting.percent(vehicle.soc_percent)} "
                    f"(below {formatting.percent(rule.threshold)})",
                    body=lambda zone: (
                        f"Departure {formatting.local(reservation.departure_at, zone)}, reservation {reservation.pk}."
                    ),
                    link=f"/fleet/vehicles/{vehicle.pk}/",
                    data={"vehicle": vehicle.pk, "reservation": reservation.pk},
                    dedup_key=key,
                )
            )
            return
