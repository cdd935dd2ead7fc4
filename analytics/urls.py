from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.analytics_dashboard, name="dashboard"),
    path("compare/", views.analytics_compare, name="compare"),
    path("trends/", views.analytics_trends, name="trends"),
    path("environment/", views.analytics_environment, name="environment"),
    path("consumption/", views.analytics_consumption, name="consumption"),
    path("export.<str:fmt>", views.analytics_export, name="export"),
    path("reports/", views.report_list, name="report-list"),
    path("reports/new/", views.report_create, name="report-create"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report-edit"),
    path("reports/<int:pk>/send/", views.report_send, name="report-send"),
    path("reports/<int:pk>/delete/", views.report_delete, name="report-delete"),
    path("reports/<int:pk>/download.<str:fmt>", views.report_download, name="report-download"),
    path("runs/<int:pk>/download/", views.run_download, name="run-download"),
]
