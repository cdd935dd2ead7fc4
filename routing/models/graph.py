from django.conf import settings
from django.db import models

from evfleet.models import TimeStampedModel


class RoadGraph(TimeStampedModel):
    """A region's routable road network imported from an OpenStreetMap extract: shared reference data, like the
    climate normals, stored once (the arrays of `routing.graph.RoadGraphData` in `data`) for every worker."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to import"
        IMPORTING = "importing", "Importing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    name = models.CharField("name", max_length=80, unique=True, help_text="The region, e.g. “Helsinki”.")
    source = models.CharField(
        "source", max_length=255, help_text="The OpenStreetMap extract it was imported from (file name)."
    )
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.PENDING)
    progress_percent = models.PositiveSmallIntegerField("progress (%)", default=0)
    message = models.CharField(
        "message", max_length=500, blank=True, help_text="The import's current step, or why it failed."
    )
    south = models.FloatField("south (°)", null=True, blank=True)
    west = models.FloatField("west (°)", null=True, blank=True)
    north = models.FloatField("north (°)", null=True, blank=True)
    east = models.FloatField("east (°)", null=True, blank=True)
    node_count = models.PositiveIntegerField("nodes", default=0)
    edge_count = models.PositiveIntegerField("edges", default=0, help_text="Directed road segments.")
    data = models.BinaryField("graph", null=True, editable=False, help_text="routing.graph.RoadGraphData.to_bytes()")
    imported_at = models.DateTimeField("imported at", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="created by", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            # road_graph_at(): the ready graphs whose bounds hold a point
            models.Index(fields=["status", "south", "north", "west", "east"], name="roadgraph_bounds"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100), name="roadgraph_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name
