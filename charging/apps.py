from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Charging sessions and their costs, reservations, notifications and session reports; smart charging (issue 7).
    Pricing (tariffs, contracts, the engine) is the `pricing` app below it."""

    name = "charging"

    def ready(self):
        from charging.pricing_usage import ChargingUsage
        from pricing import usage

        usage.register(ChargingUsage())  # a site's measured load and a customer's month, for pricing
