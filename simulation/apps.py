from django.apps import AppConfig


class SimulationConfig(AppConfig):
    """Battery degradation, environmental effects and route simulation."""

    name = "simulation"
