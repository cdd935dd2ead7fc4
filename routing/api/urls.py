from routing.api import graphs

routes: list = [  # (prefix, viewset) pairs registered on the API router
    ("road-graphs", graphs.RoadGraphViewSet),
]

urlpatterns: list = []
