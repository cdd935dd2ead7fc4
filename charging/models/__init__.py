from charging.models.pricing import (
    Contract,
    ContractVolumeTier,
    Customer,
    GridSignal,
    Holiday,
    HolidayCalendar,
    LoadPricing,
    PriceInterval,
    Tariff,
    TariffVersion,
)
from charging.models.reservations import Reservation, ReservationDecision, ReservationPolicy
from charging.models.roaming import RoamingPolicy
from charging.models.sessions import ChargingSession, IdToken, MeterSample
from charging.models.smart import ChargingPlan, Circuit

__all__ = [
    "ChargingPlan",
    "ChargingSession",
    "Circuit",
    "Contract",
    "ContractVolumeTier",
    "Customer",
    "GridSignal",
    "Holiday",
    "HolidayCalendar",
    "IdToken",
    "LoadPricing",
    "MeterSample",
    "PriceInterval",
    "Reservation",
    "ReservationDecision",
    "ReservationPolicy",
    "RoamingPolicy",
    "Tariff",
    "TariffVersion",
]
