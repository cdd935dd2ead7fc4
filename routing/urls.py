from django.urls import path

from routing.views import stops

app_name = "routing"

urlpatterns: list = [
    path("charging-stops/", stops.charging_stops, name="charging-stops"),
]
