"""Scenarios the apps above fleet add to the fleet benchmark (`manage.py bench_fleet`): fleet cannot import them,
so each registers from its `AppConfig.ready()`:

    register_scenario(name, fn)

`fn(*, fleet, departments, manager, requests, warmup, log) -> dict` builds what it needs on the benchmark fleet
(`fleet`: its vehicles' queryset; `departments`: name -> Department; `manager`: the fleet's manager), times its
requests and returns its figures, with `p95_ms`, `queries` and `meets_target` (bench_fleet adds them to its JSON)."""

from collections.abc import Callable

_SCENARIOS: dict[str, Callable[..., dict]] = {}


def register_scenario(name: str, fn: Callable[..., dict]) -> None:
    _SCENARIOS[name] = fn


def scenarios() -> dict[str, Callable[..., dict]]:
    return dict(_SCENARIOS)
