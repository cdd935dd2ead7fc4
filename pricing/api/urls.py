from django.urls import path

from pricing.api import views

routes = [
    ("tariffs", views.TariffViewSet),
    ("customers", views.CustomerViewSet),
    ("contracts", views.ContractViewSet),
    ("holiday-calendars", views.HolidayCalendarViewSet),
    ("load-pricing", views.LoadPricingViewSet),
    ("grid-signals", views.GridSignalViewSet),
    ("price-intervals", views.PriceIntervalViewSet),
]

urlpatterns = [
    path("pricing/quote/", views.QuoteView.as_view(), name="pricing-quote"),
]
