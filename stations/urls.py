from django.urls import path

from stations import dashboard_crud as crud
from stations import views

app_name = "stations"

urlpatterns = [
    path("", views.station_overview, name="overview"),
    path("sites/new/", crud.site_create, name="site-create"),
    path("sites/<int:pk>/edit/", crud.site_edit, name="site-edit"),
    path("sites/<int:pk>/delete/", crud.site_delete, name="site-delete"),
    path("charge-points/new/", crud.charge_point_create, name="charge-point-create"),
    path("charge-points/<int:pk>/", views.charge_point_detail, name="charge-point-detail"),
    path("charge-points/<int:pk>/edit/", crud.charge_point_edit, name="charge-point-edit"),
    path("charge-points/<int:pk>/delete/", crud.charge_point_delete, name="charge-point-delete"),
    path("charge-points/<int:charge_point_pk>/connectors/new/", crud.connector_create, name="connector-create"),
    path("connectors/<int:pk>/edit/", crud.connector_edit, name="connector-edit"),
    path("connectors/<int:pk>/delete/", crud.connector_delete, name="connector-delete"),
]
