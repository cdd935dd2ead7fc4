"""What the live map shows: the user's vehicles with their position and map status, their depots and the other
charging sites with their connectors, as plain data for the page and its JSON endpoint (`/dispatch/map/data.json`).

Scoped like every read: another department's vehicles, sites and trips never reach it. A constant number of
queries whatever the fleet's size: vehicles (1), their next trips (2, `operations.selectors.next_trips`), sites
(1), connectors (1).

The map status of a vehicle (static/js/livemap.js applies the same rule to live events):
- `maintenance`: in maintenance;
- `charging`: charging now (fleet's `current_status`);
- `on_trip`: a trip of it is under way;
- `at_depot`: within AT_DEPOT_RADIUS_M of its depot, or with no depot or position to compare;
- `away`: parked elsewhere (no trip under way, farther than that from its depot).
"""

from dataclasses import dataclass
from datetime import datetime
from math import asin, cos, radians, sin, sqrt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef
from django.urls import reverse

from accounts.models import User
from accounts.scoping import scoped
from evfleet import formatting
from fleet import selectors as fleet_selectors
from fleet.models import Vehicle
from operations import selectors as operations_selectors
from operations.models import Trip, VehicleDepot
from stations.models import Connector, Site

AT_DEPOT_RADIUS_M = 500.0
LOW_SOC_PERCENT = fleet_selectors.LOW_SOC_PERCENT


@dataclass(frozen=True)
class MapStatus:
    value: str
    label: str


MAP_STATUSES = (
    MapStatus("charging", "Charging"),
    MapStatus("on_trip", "On a trip"),
    MapStatus("at_depot", "At the depot"),
    MapStatus("away", "Parked away"),
    MapStatus("maintenance", "In maintenance"),
)

# A connector's OCPP status -> free (a vehicle can plug in), busy (in use or held) or out (cannot serve).
CONNECTOR_GROUPS = {
    Connector.Status.AVAILABLE: "free",
    **dict.fromkeys(
        (
            Connector.Status.PREPARING,
            Connector.Status.CHARGING,
            Connector.Status.SUSPENDED_EVSE,
            Connector.Status.SUSPENDED_EV,
            Connector.Status.FINISHING,
            Connector.Status.OCCUPIED,
            Connector.Status.RESERVED,
        ),
        "busy",
    ),
    **dict.fromkeys((Connector.Status.UNAVAILABLE, Connector.Status.FAULTED, Connector.Status.UNKNOWN), "out"),
}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = radians(lat1), radians(lat2)
    a = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000.0 * asin(min(1.0, sqrt(a)))


def map_status(*, current_status: str, on_trip: bool, position, depot_position) -> str:
    if current_status == Vehicle.Status.MAINTENANCE:
        return "maintenance"
    if current_status == Vehicle.Status.CHARGING:
        return "charging"
    if on_trip:
        return "on_trip"
    if None in (*position, *depot_position) or distance_m(*position, *depot_position) <= AT_DEPOT_RADIUS_M:
        return "at_depot"
    return "away"


def _sites(user: User) -> list[dict[str, Any]]:
    if not user.has_perm("stations.view_site"):
        return []
    rows = (
        scoped(Site.objects.all(), user)
        .annotate(is_depot=Exists(VehicleDepot.objects.filter(site=OuterRef("pk"))))
        .values("id", "name", "latitude", "longitude", "time_zone", "is_depot", "department__name")
        .order_by("name", "pk")
    )
    connectors: dict[int, dict[int, str]] = {}
    if user.has_perm("stations.view_connector"):
        for connector_id, site_id, status in (
            scoped(Connector.objects.all(), user)
            .values_list("id", "charge_point__site_id", "status")
            .order_by("charge_point__site_id", "pk")
        ):
            connectors.setdefault(site_id, {})[connector_id] = status
    # the site's page: the live depot view (dispatch), else its smart-charging page, else the stations page
    if user.has_perms(("stations.view_site", "stations.view_chargepoint")):
        page = "dispatch:depot-detail"
    elif user.has_perm("charging.view_chargingplan"):
        page = "charging:smart-site"
    else:
        page = None
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "kind": "depot" if row["is_depot"] else "station",
            "lat": row["latitude"],
            "lon": row["longitude"],
            "department": row["department__name"],
            "url": reverse(page, args=[row["id"]]) if page else reverse("stations:overview"),
            "connectors": connectors.get(row["id"], {}),
        }
        for row in rows
    ]


def _next_trip(trip: Trip | None, unit: str) -> dict[str, Any] | None:
    if trip is None:
        return None
    local = trip.departs_at.astimezone(ZoneInfo(trip.depot.time_zone))
    distance_km = trip.distance_km if trip.distance_km is not None else getattr(trip.route, "distance_km", None)
    return {
        "id": trip.pk,
        "departs_at": trip.departs_at,
        "departs_local": f"{local:%a %d %b %H:%M} {formatting.zone_name(local)}",
        "depot": trip.depot_id,
        "route": trip.route.name if trip.route else "",
        "distance": formatting.distance(distance_km, unit) if distance_km is not None else "",
        "required_soc_percent": trip.required_soc_percent,
    }


def map_data(*, user: User, now: datetime) -> dict[str, Any]:
    """Everything the live map draws for `user`, as JSON-ready data (datetimes left to the encoder)."""
    sites = _sites(user)
    places = {site["id"]: (site["lat"], site["lon"]) for site in sites}
    under_way = Trip.objects.filter(vehicle=OuterRef("pk"), status=Trip.Status.UNDER_WAY)
    rows = list(
        fleet_selectors.vehicle_list(user=user)
        .exclude(status=Vehicle.Status.RETIRED)
        .annotate(on_trip=Exists(under_way), depot_site=F("depot__site_id"))
        .values(
            "id",
            "vin",
            "fleet_number",
            "license_plate",
            "current_status",
            "soc_percent",
            "last_latitude",
            "last_longitude",
            "last_telemetry_at",
            "on_trip",
            "depot_site",
            "department__name",
        )
        .order_by("fleet_number", "vin")
    )
    trips = (
        operations_selectors.next_trips([row["id"] for row in rows], now=now)
        if rows and user.has_perm("operations.view_trip")
        else {}
    )
    unit = formatting.distance_unit_of(user)
    vehicles = []
    for row in rows:
        position = (row["last_latitude"], row["last_longitude"])
        depot_position = places.get(row["depot_site"], (None, None))
        vehicles.append(
            {
                "id": row["id"],
                "label": row["fleet_number"] or row["license_plate"] or row["vin"],
                "vin": row["vin"],
                "url": reverse("fleet:vehicle-detail", args=[row["id"]]),
                "department": row["department__name"],
                "lat": row["last_latitude"],
                "lon": row["last_longitude"],
                "last_telemetry_at": row["last_telemetry_at"],
                "soc_percent": row["soc_percent"],
                "low_soc": row["soc_percent"] is not None and row["soc_percent"] < LOW_SOC_PERCENT,
                "vehicle_status": row["current_status"],
                "on_trip": row["on_trip"],
                "depot": row["depot_site"] if row["depot_site"] in places else None,
                "status": map_status(
                    current_status=row["current_status"],
                    on_trip=row["on_trip"],
                    position=position,
                    depot_position=depot_position,
                ),
                "next_trip": _next_trip(trips.get(row["id"]), unit),
            }
        )
    return {
        "statuses": [{"value": s.value, "label": s.label} for s in MAP_STATUSES],
        "connector_groups": {str(status): group for status, group in CONNECTOR_GROUPS.items()},
        "low_soc_percent": LOW_SOC_PERCENT,
        "at_depot_radius_m": AT_DEPOT_RADIUS_M,
        "vehicles": vehicles,
        "sites": sites,
    }
