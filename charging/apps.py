from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Charging sessions, reservations, pricing and smart charging (issue 7)."""

    name = "charging"

    def ready(self):
        # notifications sends the scheduled session reports; what they say is charging's
        from charging.services.reports import session_report_content
        from notifications.reports import SESSIONS, register_content

        register_content(SESSIONS, session_report_content)
