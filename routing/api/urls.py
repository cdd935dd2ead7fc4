from django.urls import path

from routing.api import graphs, paths

routes: list = [  # (prefix, viewset) pairs registered on the API router
    ("road-graphs", graphs.RoadGraphViewSet),
]

urlpatterns: list = [
    path("route-plans/", paths.RoutePlanView.as_view(), name="route-plans"),
]
