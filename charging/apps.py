from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Charging sessions, reservations, pricing and smart charging (issues 4, 5, 7)."""

    name = "charging"
