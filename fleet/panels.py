"""The port through which apps above fleet add a section to the vehicle page; fleet imports none of them.

An app registers a panel from its AppConfig.ready(): `register_vehicle_panel(name, fn)`, where
`fn(request, vehicle) -> (template_name, context) | None` (None: nothing to show this user or vehicle). The vehicle
page renders each panel's template with its context, in the order they were registered, below its own sections.
A panel keeps to a constant number of queries: the page's query count is checked with the panels in.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from fleet.models import Vehicle

VehiclePanel = Callable[[HttpRequest, Vehicle], "tuple[str, dict] | None"]

_panels: dict[str, VehiclePanel] = {}


def register_vehicle_panel(name: str, fn: VehiclePanel) -> None:
    """Add (or replace) the panel `name` on the vehicle page."""
    _panels[name] = fn


def render_vehicle_panels(request: HttpRequest, vehicle: Vehicle) -> list[SafeString]:
    """Every registered panel rendered for `vehicle`, as HTML."""
    rendered = []
    for fn in _panels.values():
        panel = fn(request, vehicle)
        if panel is not None:
            template_name, context = panel
            rendered.append(render_to_string(template_name, {"vehicle": vehicle, **context}, request=request))
    return rendered
