from django.apps import AppConfig


class RoutingConfig(AppConfig):
    """Route optimization: road graphs imported from OpenStreetMap, shortest, fastest and least-energy routes,
    charging stops on long routes and multi-vehicle route planning with time windows and recharging (E-VRPTW).
    Layer: above `charging` (chosen charging stops are booked through its reservations) and `operations` (planned
    routes become trips), below `v2g`. The algorithms are plain Python (`routing/graph.py`, `paths.py`,
    `chargestops.py`, `evrptw/`)."""

    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from routing import plan_tasks  # noqa: F401 - registers the plan solve task (autodiscovery reads tasks.py only)
