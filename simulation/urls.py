from django.urls import path

from simulation.views import feeds, health

app_name = "simulation"

urlpatterns = [
    path("feeds/", feeds.feeds, name="feeds"),
    path("health/", health.health_overview, name="health"),
]
