from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Telling people: in-app, email and Web Push notifications, each user's preferences, the delivery log, the
    thresholds departments set, and the scheduled session reports by email.

    Its layer: just above `accounts` and `evfleet`, below every domain app. Every other app tells through one
    entrance, `notifications.services.notify(event=Notice(...))` (`notifications/events.py`), and plugs the
    content of its reports in from its own `ready()` (`notifications.reports.register_content`); this app imports
    none of its callers (fleet, stations, pricing, charging, v2g, simulation, analytics), not even inside a
    function."""

    name = "notifications"

    def ready(self):
        from accounts.signals import department_created
        from notifications import reports

        # A new department gets its daily and weekly session reports (accounts sends, inside its transaction).
        department_created.connect(reports.department_reports_ensure, dispatch_uid="notifications.session_reports")
