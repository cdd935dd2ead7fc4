from django.urls import path

from notifications.api import views

routes = [
    ("notifications", views.NotificationViewSet),
]

urlpatterns = [
    path("notification-preferences/", views.PreferenceView.as_view(), name="notification-preferences"),
    path("push-subscriptions/", views.PushSubscriptionView.as_view(), name="push-subscriptions"),
]
