from django.apps import AppConfig


class EvfleetConfig(AppConfig):
    """Project-wide plumbing: shared base model, management commands, API base classes."""

    name = "evfleet"
    verbose_name = "EV Fleet platform"
