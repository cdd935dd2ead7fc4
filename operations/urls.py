from django.urls import path

from operations.views import imports

app_name = "operations"

urlpatterns = [
    path("import/", imports.import_page, name="import"),
]
