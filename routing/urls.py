from django.urls import path

from routing.views import paths

app_name = "routing"

urlpatterns: list = [
    path("", paths.route_planner, name="home"),
]
