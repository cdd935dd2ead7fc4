from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import views

router = DefaultRouter()
router.register("departments", views.DepartmentViewSet)
router.register("users", views.UserViewSet)
router.register("activity", views.ActivityLogViewSet)

urlpatterns = [path("auth/token/", views.TokenView.as_view(), name="api-token"), *router.urls]
