app_name = "simulation"

urlpatterns: list = []
