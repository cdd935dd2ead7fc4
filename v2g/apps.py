from django.apps import AppConfig


class V2gConfig(AppConfig):
    """Bidirectional charging, energy sales and demand response."""

    name = "v2g"
