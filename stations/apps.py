from django.apps import AppConfig


class StationsConfig(AppConfig):
    """Depots, charge points and connectors, and the OCPP central system (issue 3)."""

    name = "stations"
