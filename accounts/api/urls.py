from django.urls import path

from accounts.api import views

# Registered on the project's one API router in evfleet/urls.py, so /api/v1/ lists every app.
routes = [
    ("departments", views.DepartmentViewSet),
    ("users", views.UserViewSet),
    ("activity", views.ActivityLogViewSet),
]

urlpatterns = [path("auth/token/", views.TokenView.as_view(), name="api-token")]
