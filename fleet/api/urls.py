from fleet.api import views

routes = [
    ("vehicle-models", views.VehicleModelViewSet),
    ("vehicles", views.VehicleViewSet),
    ("telemetry", views.TelemetryViewSet),
]
