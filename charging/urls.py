from django.urls import path

from charging.views import reservations, roaming, sessions, smart

app_name = "charging"

urlpatterns = [
    path("sessions/", sessions.session_list, name="session-list"),
    path("sessions/start/", sessions.session_start, name="session-start"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session-detail"),
    path("sessions/<int:pk>/stop/", sessions.session_stop, name="session-stop"),
    path("reservations/", reservations.reservation_list, name="reservation-list"),
    path("reservations/new/", reservations.reservation_create, name="reservation-create"),
    path("reservations/<int:pk>/cancel/", reservations.reservation_cancel, name="reservation-cancel"),
    path("roaming/", roaming.roaming_list, name="roaming"),
    path("roaming/<int:department_pk>/", roaming.roaming_edit, name="roaming-edit"),
    path("smart-charging/", smart.smart_overview, name="smart-overview"),
    path("smart-charging/sites/<int:pk>/", smart.smart_site, name="smart-site"),
    path("smart-charging/sites/<int:pk>/replan/", smart.smart_replan, name="smart-replan"),
]
