from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base: when a row was created and last changed (UTC)."""

    created_at = models.DateTimeField("created at", auto_now_add=True)
    updated_at = models.DateTimeField("updated at", auto_now=True)

    class Meta:
        abstract = True
