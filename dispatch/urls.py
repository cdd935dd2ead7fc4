from django.urls import path

from dispatch.views import livemap

app_name = "dispatch"

urlpatterns = [
    path("map/", livemap.live_map, name="map"),
    path("map/data.json", livemap.live_map_data, name="map-data"),
]
