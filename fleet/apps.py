from django.apps import AppConfig


class FleetConfig(AppConfig):
    """Vehicles, the vehicle model catalogue and telemetry."""

    name = "fleet"

    def ready(self):
        from fleet import lookups  # noqa: F401  (registers the __any lookup)
