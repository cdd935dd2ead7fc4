from django.urls import path

from routing.api import paths

routes: list = []  # (prefix, viewset) pairs registered on the API router

urlpatterns: list = [
    path("route-plans/", paths.RoutePlanView.as_view(), name="route-plans"),
]
