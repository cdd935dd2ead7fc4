from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Charging sessions, RFID tokens, meter samples, reservations, roaming and smart charging.

    Layer: above pricing, stations, fleet, notifications and accounts; below simulation, v2g and analytics.
    It listens to what stations announce (stations.signals), plugs its session checks into the station
    watchdog (stations.detection) and says what the scheduled session reports contain (notifications)."""

    name = "charging"

    def ready(self) -> None:
        from charging import detection
        from charging.services import station_events
        from charging.services.reports import session_report_content
        from notifications.reports import SESSIONS, register_content

        station_events.connect()
        detection.register()
        # notifications sends the scheduled session reports; what they say is charging's
        register_content(SESSIONS, session_report_content)
