from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Charging sessions, RFID tokens, meter samples, reservations, roaming and smart charging.

    Layer: above pricing, stations, fleet, notifications and accounts; below simulation, v2g and analytics.
    It listens to what stations announce (stations.signals) and plugs its session checks into the station
    watchdog (stations.detection)."""

    name = "charging"

    def ready(self) -> None:
        from charging import detection
        from charging.services import station_events

        station_events.connect()
        detection.register()
