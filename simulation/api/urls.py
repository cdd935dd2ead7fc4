"""The simulation app's API routes, collected by the project's URLconf under /api/v1/."""

routes: list = []

urlpatterns: list = []
