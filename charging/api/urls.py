from django.urls import path

from charging.api import smart, views

routes = [
    ("sessions", views.SessionViewSet),
    ("reservations", views.ReservationViewSet),
    ("reservation-policies", views.ReservationPolicyViewSet),
    ("roaming-policies", views.RoamingPolicyViewSet),
    ("circuits", smart.CircuitViewSet),
    ("charging-plans", smart.ChargingPlanViewSet),
]

urlpatterns = [
    path("sites/<int:site_id>/charging-plan/", smart.SitePlanView.as_view(), name="site-charging-plan"),
    path("smart-charging/what-if/", smart.WhatIfView.as_view(), name="smart-charging-what-if"),
]
