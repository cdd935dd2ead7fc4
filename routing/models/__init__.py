from routing.models.graph import RoadGraph
from routing.models.plans import PlanJob, PlannedRoute, PlannedVisit, RoutePlan

__all__ = ["PlanJob", "PlannedRoute", "PlannedVisit", "RoadGraph", "RoutePlan"]
