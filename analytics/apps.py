from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Dashboards, forecasts, environmental reporting and scheduled reports (issue 6)."""

    name = "analytics"
