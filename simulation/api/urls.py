"""The simulation app's API routes, collected by the project's URLconf under /api/v1/."""

from simulation.api import views

routes = [
    ("weather", views.WeatherHourViewSet),
    ("traffic-readings", views.TrafficReadingViewSet),
]

urlpatterns: list = []
