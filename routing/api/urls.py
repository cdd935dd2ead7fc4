from django.urls import path

from routing.api import stops

routes: list = []  # (prefix, viewset) pairs registered on the API router

urlpatterns: list = [
    path("charging-stop-plans/", stops.ChargingStopPlanView.as_view(), name="charging-stop-plans"),
    path("charging-stop-plans/book/", stops.ChargingStopBookView.as_view(), name="charging-stop-plans-book"),
]
