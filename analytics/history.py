"""Analytics' answer to charging's site-history port (charging.history), registered in AnalyticsConfig.ready():
the month's peak demand from the SiteDay rollup and the hourly carbon intensity analytics stores."""

from datetime import date, datetime

from analytics.models import CarbonIntensity, SiteDay


class RollupHistory:
    def peak_kw(self, *, site_id: int, first_day: date, last_day: date) -> float:
        peaks = SiteDay.objects.filter(site_id=site_id, day__gte=first_day, day__lte=last_day)
        return float(max(peaks.values_list("peak_kw", flat=True), default=0.0))

    def carbon_by_hour(self, *, zone_id: int, start: datetime, end: datetime) -> dict[datetime, float]:
        rows = CarbonIntensity.objects.filter(zone_id=zone_id, hour_start__gte=start, hour_start__lt=end)
        return dict(rows.values_list("hour_start", "gco2e_per_kwh"))
