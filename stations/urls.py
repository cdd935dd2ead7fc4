from django.urls import path

from stations import views

app_name = "stations"

urlpatterns = [
    path("", views.station_overview, name="overview"),
    path("charge-points/<int:pk>/", views.charge_point_detail, name="charge-point-detail"),
]
