from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Charging sessions and their costs, RFID tokens, meter samples, reservations, roaming and smart charging.

    Layer: above pricing, simulation, stations, fleet, notifications and accounts; below v2g and analytics.
    It listens to what stations announce (stations.signals), plugs its session checks into the station
    watchdog (stations.detection), says what the scheduled session reports contain (notifications) and tells
    pricing what it measured (pricing.usage) and simulation its finished sessions (simulation.observations: capacity
    observations for the batteries' state of health). It follows the trips of operations (operations.signals:
    a changed departure re-plans the sites where the vehicle is plugged in or booked)."""

    name = "charging"

    def ready(self) -> None:
        from charging import detection
        from charging.health_sessions import SOURCE, finished_sessions
        from charging.pricing_usage import ChargingUsage
        from charging.services import station_events, trip_events
        from charging.services.reports import session_report_content
        from notifications.reports import SESSIONS, register_content
        from pricing import usage
        from simulation import observations

        station_events.connect()
        trip_events.connect()  # a trip created, moved or cancelled re-plans where its vehicle is plugged in
        detection.register()
        # notifications sends the scheduled session reports; what they say is charging's
        register_content(SESSIONS, session_report_content)
        usage.register(ChargingUsage())  # a site's measured load and a customer's month, for pricing
        observations.register_source(SOURCE, finished_sessions)  # capacity observations, for simulation
