from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Dashboards, forecasts, environmental reporting and scheduled reports.

    Layer: the top of the domains (only the demo is above it); it reads every app below. It serves charging's
    site-history port (charging.history) from its rollups."""

    name = "analytics"

    def ready(self) -> None:
        from analytics.history import RollupHistory
        from analytics.metrics import GROUPINGS, METRICS
        from analytics.periods import COMPARISONS, RELATIVE
        from charging import history
        from evfleet.formatting import register_labels

        history.register(RollupHistory())

        register_labels({**GROUPINGS, **COMPARISONS, **RELATIVE})
        register_labels({m.key: f"{m.label} ({m.unit})" if m.unit else m.label for m in METRICS.values()})
