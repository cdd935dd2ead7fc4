from django.apps import AppConfig


class DispatchConfig(AppConfig):
    """The dispatcher's console: the readiness board (the home page), the live map and the live depot view. Layer:
    above `v2g` and `charging` (it shows their plans and acts through their services), below `analytics`."""

    name = "dispatch"
