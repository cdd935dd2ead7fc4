from django.urls import path

from routing.views import graphs, paths, plans, stops

app_name = "routing"

urlpatterns: list = [
    path("", paths.route_planner, name="home"),
    path("graphs/", graphs.graph_list, name="graph-list"),
    path("graphs/status.json", graphs.graph_status, name="graph-status"),
    path("graphs/roads.json", graphs.roads, name="roads"),
    path("graphs/<int:pk>/delete/", graphs.graph_delete, name="graph-delete"),
    path("plans/", plans.plan_list, name="plan-list"),
    path("plans/new/", plans.plan_create, name="plan-create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/status.json", plans.plan_status, name="plan-status"),
    path("plans/<int:pk>/solve/", plans.plan_solve, name="plan-solve"),
    path("plans/<int:pk>/commit/", plans.plan_commit, name="plan-commit"),
    path("charging-stops/", stops.charging_stops, name="charging-stops"),
]
