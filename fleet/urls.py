from django.urls import path

from fleet import views

app_name = "fleet"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("vehicles/new/", views.vehicle_create_view, name="vehicle-create"),
    path("vehicles/<int:pk>/", views.vehicle_detail, name="vehicle-detail"),
    path("vehicles/<int:pk>/edit/", views.vehicle_edit_view, name="vehicle-edit"),
    path("vehicles/<int:pk>/delete/", views.vehicle_delete_view, name="vehicle-delete"),
]
