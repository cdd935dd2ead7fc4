from django.urls import path

from stations.api import views

routes = [
    ("sites", views.SiteViewSet),
    ("charge-points", views.ChargePointViewSet),
    ("connectors", views.ConnectorViewSet),
    ("maintenance-windows", views.MaintenanceWindowViewSet),
    ("alerts", views.AlertViewSet),
    ("ocpp-commands", views.OcppCommandViewSet),
    ("compatibility-rules", views.CompatibilityRuleViewSet),
]

urlpatterns = [
    path(
        "vehicles/<int:vehicle_pk>/compatible-connectors/",
        views.CompatibleConnectorViewSet.as_view({"get": "list"}),
        name="vehicle-compatible-connectors",
    ),
]
