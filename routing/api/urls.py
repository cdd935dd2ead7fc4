from django.urls import path

from routing.api import graphs, paths, stops
from routing.api.plans import RoutePlanViewSet

routes: list = [  # (prefix, viewset) pairs registered on the API router
    ("road-graphs", graphs.RoadGraphViewSet),
    ("route-plans", RoutePlanViewSet),
]

urlpatterns: list = [
    path("road-routes/", paths.RoadRouteView.as_view(), name="road-routes"),
    path("charging-stop-plans/", stops.ChargingStopPlanView.as_view(), name="charging-stop-plans"),
    path("charging-stop-plans/book/", stops.ChargingStopBookView.as_view(), name="charging-stop-plans-book"),
]
