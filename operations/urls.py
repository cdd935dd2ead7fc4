from django.urls import path

from operations.views import depots, imports, routes, schedules, trips

app_name = "operations"

urlpatterns = [
    path("trips/", trips.trip_list, name="trip-list"),
    path("trips/new/", trips.trip_create, name="trip-create"),
    path("trips/<int:pk>/", trips.trip_detail, name="trip-detail"),
    path("trips/<int:pk>/edit/", trips.trip_edit, name="trip-edit"),
    path("trips/<int:pk>/cancel/", trips.trip_cancel, name="trip-cancel"),
    path("schedules/", schedules.schedule_list, name="schedule-list"),
    path("schedules/new/", schedules.schedule_create, name="schedule-create"),
    path("schedules/<int:pk>/edit/", schedules.schedule_edit, name="schedule-edit"),
    path("schedules/<int:pk>/delete/", schedules.schedule_delete, name="schedule-delete"),
    path("routes/", routes.route_list, name="route-list"),
    path("routes/new/", routes.route_create, name="route-create"),
    path("routes/<int:pk>/edit/", routes.route_edit, name="route-edit"),
    path("routes/<int:pk>/delete/", routes.route_delete, name="route-delete"),
    path("depots/", depots.depots, name="depots"),
    path("policy/<int:department_pk>/", depots.policy_edit, name="policy-edit"),
    path("import/", imports.import_page, name="import"),
]
