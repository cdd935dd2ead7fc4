from routing.api.plans import RoutePlanViewSet

routes: list = [  # (prefix, viewset) pairs registered on the API router
    ("route-plans", RoutePlanViewSet),
]

urlpatterns: list = []
