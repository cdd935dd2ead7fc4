from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Charging sessions, reservations, pricing, notifications and session reports; smart charging (issue 7)."""

    name = "charging"
