from django.apps import AppConfig


class PricingConfig(AppConfig):
    """Pricing: tariffs and their versions (OCPI 2.2.1 elements and export), holiday calendars, fleet customers and
    their contracts, load-based pricing and its recorded intervals, grid signals, quotes and the Decimal engine
    (`pricing/engine.py`, plain Python); its pages, API, admin and demo data.

    Layer: above `stations` and `fleet` (a tariff hangs on a site, charge point or connector; a vehicle has a
    customer), below `charging`, which prices its sessions with it. Pricing imports nothing of charging: what it
    reads of charging's data (a site's measured load, a customer's kWh this month) comes through the port in
    `pricing/usage.py`, which charging fills from its AppConfig.ready()."""

    name = "pricing"
    verbose_name = "Pricing"
