from django.apps import AppConfig


class SimulationConfig(AppConfig):
    """Physical models of the fleet: battery aging and state of health, temperature effects, energy consumption
    with traffic, weather and seasons, and the weather and traffic feeds they read.

    Layer: above stations, fleet, notifications and accounts; below pricing, charging, v2g and analytics, which
    stand on its models (smart charging's battery limits, V2G's degradation cost, analytics' expected
    consumption). The models themselves (battery/, energy.py, ...) are plain Python with no Django in them."""

    name = "simulation"
