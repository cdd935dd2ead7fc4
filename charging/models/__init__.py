from charging.models.reservations import Reservation, ReservationDecision, ReservationPolicy
from charging.models.roaming import RoamingPolicy
from charging.models.sessions import ChargingSession, IdToken, MeterSample
from charging.models.smart import ChargingPlan, Circuit

__all__ = [
    "ChargingPlan",
    "ChargingSession",
    "Circuit",
    "IdToken",
    "MeterSample",
    "Reservation",
    "ReservationDecision",
    "ReservationPolicy",
    "RoamingPolicy",
]
