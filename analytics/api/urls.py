from django.urls import path

from analytics.api import views

routes = [
    ("reports", views.SavedReportViewSet),
    ("report-runs", views.ReportRunViewSet),
    ("carbon-offsets", views.CarbonOffsetViewSet),
    ("carbon-zones", views.CarbonZoneViewSet),
    ("carbon-intensities", views.CarbonIntensityViewSet),
    ("ice-baselines", views.IceBaselineViewSet),
]

urlpatterns = [
    path("analytics/dashboard/", views.DashboardView.as_view(), name="analytics-dashboard"),
    path("analytics/report/", views.ReportView.as_view(), name="analytics-report"),
    path("analytics/trends/", views.TrendsView.as_view(), name="analytics-trends"),
    path("analytics/environment/", views.EnvironmentView.as_view(), name="analytics-environment"),
    path("analytics/consumption/", views.ConsumptionView.as_view(), name="analytics-consumption"),
    path("analytics/metrics/", views.MetricCatalogueView.as_view(), name="analytics-metrics"),
]
