from django.urls import path

from dispatch.views import board, depot, livemap

app_name = "dispatch"

urlpatterns = [
    path("", board.board, name="board"),
    path("map/", livemap.live_map, name="map"),
    path("map/data.json", livemap.live_map_data, name="map-data"),
    path("depots/", depot.depot_list, name="depot-list"),
    path("depots/<int:pk>/", depot.depot_detail, name="depot-detail"),
    path("depots/<int:pk>/connectors/<int:connector_pk>/start/", depot.depot_start, name="depot-start"),
    path("depots/<int:pk>/sessions/<int:session_pk>/stop/", depot.depot_stop, name="depot-stop"),
    path("depots/<int:pk>/vehicles/<int:vehicle_pk>/priority/", depot.depot_priority, name="depot-priority"),
    path("depots/<int:pk>/charge-points/<int:charge_point_pk>/reset/", depot.depot_reset, name="depot-reset"),
    path("depots/<int:pk>/connectors/<int:connector_pk>/unlock/", depot.depot_unlock, name="depot-unlock"),
]
