from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The fleet's work: routes, trips, duty schedules and each trip's energy need (the required SoC at
    departure). Layer: above `simulation` (whose energy model prices a trip) and below `pricing`; charging reads
    departures from here."""

    name = "operations"
