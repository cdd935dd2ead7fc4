from django.apps import AppConfig


class SimulationConfig(AppConfig):
    """Physical models of the fleet: battery aging and state of health, temperature effects, energy consumption
    with traffic, weather and seasons, and the weather and traffic feeds they read.

    Layer: above stations, fleet, notifications and accounts; below pricing, charging, v2g and analytics, which
    stand on its models (smart charging's battery limits, V2G's degradation cost, analytics' expected
    consumption). The models themselves (battery/, energy.py, ...) are plain Python with no Django in them.

    Ports: it adds the battery-health panel to fleet's vehicle page (fleet.panels) and reads finished charging
    sessions, for capacity observations, through its own port simulation.observations, which charging fills."""

    name = "simulation"

    def ready(self) -> None:
        from fleet.panels import register_vehicle_panel
        from simulation.views.health import vehicle_health_panel

        register_vehicle_panel("battery-health", vehicle_health_panel)  # the state of health on the vehicle page
