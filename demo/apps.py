from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: every app's demo data put together (`seed_demo`, `demo.build`).

    Layer: the top. It calls each app's own demo builder (fleet, stations, pricing, analytics, charging),
    so it sits above all of them and nothing imports it but the project's wiring (the `serve` command)."""

    name = "demo"
    verbose_name = "Demo data"
