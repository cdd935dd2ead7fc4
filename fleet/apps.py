from django.apps import AppConfig


class FleetConfig(AppConfig):
    """Vehicles, the vehicle model catalogue and telemetry."""

    name = "fleet"
