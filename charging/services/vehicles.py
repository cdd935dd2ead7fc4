"""Vehicles as charging sees them: how a message names one, its RFID token for a remote start, and whether it
may charge or be booked at all (sessions, reservations and smart charging ask)."""

from django.core.exceptions import ValidationError

from charging.models import IdToken
from fleet.models import Vehicle


def vehicle_label(vehicle: Vehicle) -> str:
    return vehicle.fleet_number or vehicle.license_plate or vehicle.vin


def vehicle_token(vehicle: Vehicle) -> IdToken:
    """The vehicle's RFID token for a remote start: its own active one, else a platform token made for it."""
    token = vehicle.id_tokens.filter(is_active=True).order_by("pk").first()
    if token is None:
        token, _ = IdToken.objects.get_or_create(
            token=f"EVF-{vehicle.pk:08d}", defaults={"department": vehicle.department, "vehicle": vehicle}
        )
    return token


def vehicle_can_charge_check(vehicle: Vehicle) -> None:
    if vehicle.status in (Vehicle.Status.MAINTENANCE, Vehicle.Status.RETIRED):
        raise ValidationError(
            {
                "vehicle": f"{vehicle_label(vehicle)} is {vehicle.get_status_display().lower()}; "
                "set it active before charging or booking it."
            }
        )
