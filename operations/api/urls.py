from operations.api import views

routes = [
    ("routes", views.RouteViewSet),
    ("trips", views.TripViewSet),
    ("duty-schedules", views.DutyScheduleViewSet),
    ("vehicle-depots", views.VehicleDepotViewSet),
    ("operations-policies", views.OperationsPolicyViewSet),
]
