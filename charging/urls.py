from django.urls import path

from charging import roaming_views, sessions_views, smart_views

app_name = "charging"

urlpatterns = [
    path("sessions/", sessions_views.session_list, name="session-list"),
    path("sessions/start/", sessions_views.session_start, name="session-start"),
    path("sessions/<int:pk>/", sessions_views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/stop/", sessions_views.session_stop, name="session-stop"),
    path("reservations/", sessions_views.reservation_list, name="reservation-list"),
    path("reservations/new/", sessions_views.reservation_create, name="reservation-create"),
    path("reservations/<int:pk>/cancel/", sessions_views.reservation_cancel, name="reservation-cancel"),
    path("roaming/", roaming_views.roaming_list, name="roaming"),
    path("roaming/<int:department_pk>/", roaming_views.roaming_edit, name="roaming-edit"),
    path("smart-charging/", smart_views.smart_overview, name="smart-overview"),
    path("smart-charging/sites/<int:pk>/", smart_views.smart_site, name="smart-site"),
    path("smart-charging/sites/<int:pk>/replan/", smart_views.smart_replan, name="smart-replan"),
]
