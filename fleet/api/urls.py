from rest_framework.routers import DefaultRouter

from fleet.api import views

router = DefaultRouter()
router.register("vehicle-models", views.VehicleModelViewSet)
router.register("vehicles", views.VehicleViewSet)
router.register("telemetry", views.TelemetryViewSet)

urlpatterns = router.urls
