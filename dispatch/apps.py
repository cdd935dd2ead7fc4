from django.apps import AppConfig


class DispatchConfig(AppConfig):
    """The dispatcher's console: the readiness board (the home page), the live map and the live depot view. Layer:
    above `v2g` and `charging` (it shows their plans and acts through their services), below `analytics`.
    It adds the readiness board to the fleet benchmark (fleet/bench.py)."""

    name = "dispatch"

    def ready(self) -> None:
        from dispatch.bench import readiness_board
        from fleet.bench import register_scenario

        register_scenario("readiness_board", readiness_board)  # the board for the whole fleet in bench_fleet
