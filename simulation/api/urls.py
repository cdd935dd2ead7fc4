"""The simulation app's API routes, collected by the project's URLconf under /api/v1/."""

from django.urls import path

from simulation.api import views

routes = [
    ("weather", views.WeatherHourViewSet),
    ("traffic-readings", views.TrafficReadingViewSet),
    ("vehicle-health", views.VehicleHealthViewSet),
]

urlpatterns = [
    path("simulation/health/nearing/", views.NearingThresholdView.as_view(), name="simulation-health-nearing"),
]
