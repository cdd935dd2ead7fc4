from charging.models.notifications import (
    Channel,
    Delivery,
    Event,
    Notification,
    NotificationPreference,
    PushSubscription,
    ThresholdRule,
)
from charging.models.reports import SessionReport, SessionReportRun
from charging.models.reservations import Reservation, ReservationDecision, ReservationPolicy
from charging.models.roaming import RoamingPolicy
from charging.models.sessions import ChargingSession, IdToken, MeterSample
from charging.models.smart import ChargingPlan, Circuit

__all__ = [
    "Channel",
    "Delivery",
    "Event",
    "Notification",
    "NotificationPreference",
    "PushSubscription",
    "ThresholdRule",
    "ChargingPlan",
    "ChargingSession",
    "Circuit",
    "IdToken",
    "MeterSample",
    "Reservation",
    "ReservationDecision",
    "ReservationPolicy",
    "RoamingPolicy",
    "SessionReport",
    "SessionReportRun",
]
