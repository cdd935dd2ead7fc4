from django.urls import path

from routing.views import graphs, paths

app_name = "routing"

urlpatterns: list = [
    path("", paths.route_planner, name="home"),
    path("graphs/", graphs.graph_list, name="graph-list"),
    path("graphs/status.json", graphs.graph_status, name="graph-status"),
    path("graphs/roads.json", graphs.roads, name="roads"),
    path("graphs/<int:pk>/delete/", graphs.graph_delete, name="graph-delete"),
]
