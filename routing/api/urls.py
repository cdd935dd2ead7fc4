routes: list = []  # (prefix, viewset) pairs registered on the API router

urlpatterns: list = []
