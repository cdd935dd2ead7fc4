from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Dashboards, forecasts, environmental reporting and scheduled reports (issue 6)."""

    name = "analytics"

    def ready(self) -> None:
        from analytics.metrics import GROUPINGS, METRICS
        from analytics.periods import COMPARISONS, RELATIVE
        from evfleet.formatting import register_labels

        register_labels({**GROUPINGS, **COMPARISONS, **RELATIVE})
        register_labels({m.key: f"{m.label} ({m.unit})" if m.unit else m.label for m in METRICS.values()})
