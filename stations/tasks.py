from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from stations import detection, services
from stations.models import OcppMessage


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=2)
def station_watchdog() -> dict:
    """Beat job: missed heartbeats, stations that never connected, depots offline, stuck connectors, sessions without
    energy flow, sessions a rebooted station forgot, maintenance windows."""
    return {
        "silent_stations": detection.check_heartbeats(),
        "stations_without_socket": services.stations_without_socket_disconnect(),
        "never_connected": detection.check_never_connected(),
        "sites_offline": detection.check_sites_offline(),
        "stuck_connectors": detection.check_stuck_connectors(),
        **detection.registered_checks(),  # charging's: no_energy_flow, sessions_lost_in_reboot
        "maintenance_changes": detection.apply_maintenance_windows(),
    }


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def ocpp_message_prune() -> int:
    """Beat job: delete raw OCPP messages older than the retention period."""
    cutoff = timezone.now() - timedelta(days=settings.OCPP_MESSAGE_RETENTION_DAYS)
    deleted, _ = OcppMessage.objects.filter(logged_at__lt=cutoff).delete()
    return deleted
