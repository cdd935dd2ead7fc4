"""Traffic adapters: the typical speed profiles (offline) and TomTom's Traffic Flow `flowSegmentData`.

TomTom Traffic Flow, Flow Segment Data, service version 4
(https://developer.tomtom.com/traffic-api/documentation/traffic-flow/flow-segment-data), as this adapter asks:

    GET <EVFLEET_TRAFFIC_URL, e.g. https://api.tomtom.com/traffic/services/4/flowSegmentData/absolute/10/json>
        ?point=52.5200,13.4050&unit=KMPH&key=<EVFLEET_TRAFFIC_KEY>
    200 {"flowSegmentData": {"frc": "FRC2", "currentSpeed": 41, "freeFlowSpeed": 52, "currentTravelTime": 88,
         "freeFlowTravelTime": 69, "confidence": 0.96, "roadClosure": false,
         "coordinates": {"coordinate": [...]}, "@version": "traffic-service-flow 1.0.120"}}

Speeds in km/h (unit=KMPH), travel times in seconds, confidence 0–1. `frc` is the functional road class:
FRC0 motorway, FRC1 major road, FRC2 other major road, FRC3 secondary road, FRC4 local connecting road,
FRC5 local road of high importance, FRC6 local road; mapped here to MOTORWAY (FRC0), PRIMARY (FRC1–2),
URBAN (FRC3–4) and RESIDENTIAL (FRC5–6). Read strictly: each field present and of its type, else FeedError.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from simulation.feeds.base import FeedError, TrafficPoint, get_json, number
from simulation.traffic import FREE_FLOW_KMH, RoadClass, typical_speed_kmh

FRC_CLASSES = {
    "FRC0": RoadClass.MOTORWAY,
    "FRC1": RoadClass.PRIMARY,
    "FRC2": RoadClass.PRIMARY,
    "FRC3": RoadClass.URBAN,
    "FRC4": RoadClass.URBAN,
    "FRC5": RoadClass.RESIDENTIAL,
    "FRC6": RoadClass.RESIDENTIAL,
}
MAX_SPEED_KMH = 300.0


class TypicalTraffic:
    """Offline default: the typical speed for the road class at the site's local hour and weekday
    (`simulation.traffic`); depots are assumed to sit on urban streets unless told otherwise."""

    source = "typical"

    def __init__(self, road_class: RoadClass = RoadClass.URBAN):
        self.road_class = RoadClass(road_class)

    def fetch(self, *, latitude: float, longitude: float, time_zone: str, at: datetime) -> TrafficPoint:
        local = at.astimezone(ZoneInfo(time_zone))
        speed = float(typical_speed_kmh(self.road_class, local.hour + local.minute / 60, local.weekday()))
        return TrafficPoint(
            road_class=self.road_class,
            frc="",
            current_speed_kmh=round(speed, 1),
            free_flow_speed_kmh=FREE_FLOW_KMH[self.road_class],
            confidence=None,
            road_closure=False,
            observed_at=at,
        )


class TomTomTraffic:
    """TomTom's flowSegmentData over HTTP (the format in the module docstring)."""

    source = "tomtom"

    def __init__(self, url: str, key: str, timeout_s: float):
        self.url, self.key, self.timeout_s = url, key, timeout_s

    def fetch(self, *, latitude: float, longitude: float, time_zone: str, at: datetime) -> TrafficPoint:
        params = {"point": f"{latitude:.5f},{longitude:.5f}", "unit": "KMPH"}
        if self.key:
            params["key"] = self.key
        return parse_flow_segment(get_json("traffic", self.url, params, self.timeout_s), observed_at=at)


def parse_flow_segment(body, *, observed_at: datetime) -> TrafficPoint:
    """The reading in a flowSegmentData body, checked; FeedError names the field."""
    if not isinstance(body, dict) or not isinstance(body.get("flowSegmentData"), dict):
        raise FeedError("traffic feed: expected a JSON object with a 'flowSegmentData' object")
    data = body["flowSegmentData"]
    required = ("frc", "currentSpeed", "freeFlowSpeed", "currentTravelTime", "freeFlowTravelTime", "confidence")
    missing = [name for name in required if name not in data]
    if missing:
        raise FeedError(f"traffic feed: flowSegmentData lacks {', '.join(missing)}")
    frc = data["frc"]
    if frc not in FRC_CLASSES:
        raise FeedError(f"traffic feed: flowSegmentData.frc is {frc!r}; expected FRC0 to FRC6")
    closure = data.get("roadClosure", False)
    if not isinstance(closure, bool):
        raise FeedError(f"traffic feed: flowSegmentData.roadClosure is not true or false ({closure!r})")
    current = number("traffic", "flowSegmentData.currentSpeed", data["currentSpeed"], low=0, high=MAX_SPEED_KMH)
    free = number("traffic", "flowSegmentData.freeFlowSpeed", data["freeFlowSpeed"], low=0, high=MAX_SPEED_KMH)
    if free <= 0:
        raise FeedError("traffic feed: flowSegmentData.freeFlowSpeed must be above 0")
    for name in ("currentTravelTime", "freeFlowTravelTime"):
        number("traffic", f"flowSegmentData.{name}", data[name], low=0, high=86400)
    confidence = number("traffic", "flowSegmentData.confidence", data["confidence"], low=0, high=1)
    return TrafficPoint(
        road_class=FRC_CLASSES[frc],
        frc=frc,
        current_speed_kmh=0.0 if closure else current,
        free_flow_speed_kmh=free,
        confidence=confidence,
        road_closure=closure,
        observed_at=observed_at,
    )
