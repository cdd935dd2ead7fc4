from django.urls import path

from simulation import views

app_name = "simulation"

urlpatterns = [
    path("feeds/", views.feeds, name="feeds"),
]
