from django.urls import path

from charging.api import views

routes = [
    ("tariffs", views.TariffViewSet),
    ("customers", views.CustomerViewSet),
    ("contracts", views.ContractViewSet),
    ("holiday-calendars", views.HolidayCalendarViewSet),
    ("load-pricing", views.LoadPricingViewSet),
    ("grid-signals", views.GridSignalViewSet),
    ("price-intervals", views.PriceIntervalViewSet),
    ("sessions", views.SessionViewSet),
    ("reservations", views.ReservationViewSet),
    ("reservation-policies", views.ReservationPolicyViewSet),
    ("notifications", views.NotificationViewSet),
]

urlpatterns = [
    path("pricing/quote/", views.QuoteView.as_view(), name="pricing-quote"),
    path("notification-preferences/", views.PreferenceView.as_view(), name="notification-preferences"),
    path("push-subscriptions/", views.PushSubscriptionView.as_view(), name="push-subscriptions"),
]
