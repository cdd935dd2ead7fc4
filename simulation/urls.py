from django.urls import path

from simulation.views import health

app_name = "simulation"

urlpatterns = [
    path("health/", health.health_overview, name="health"),
]
