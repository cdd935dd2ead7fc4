from routing.models.graph import RoadGraph

__all__ = ["RoadGraph"]
