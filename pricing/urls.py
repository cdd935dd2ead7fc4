from django.urls import path

from pricing import views

app_name = "pricing"

urlpatterns = [
    path("", views.pricing_overview, name="overview"),
    path("tariffs/new/", views.tariff_create, name="tariff-create"),
    path("tariffs/<int:pk>/", views.tariff_detail, name="tariff-detail"),
    path("tariffs/<int:pk>/edit/", views.tariff_edit, name="tariff-edit"),
    path("tariffs/<int:pk>/versions/new/", views.tariff_version_create, name="tariff-version-create"),
]
