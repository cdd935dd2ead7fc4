"""Read side of stations: scoped querysets with their joins, availability and compatibility."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from accounts.scoping import scoped
from fleet.models import Vehicle
from stations import compatibility
from stations import status as derive
from stations.models import (
    ChargePoint,
    CompatibilityRule,
    Connector,
    ConnectorStatusChange,
    MaintenanceWindow,
    Site,
)


def site_list(*, user: User) -> QuerySet[Site]:
    """Sites with their charge points' statuses prefetched (for the derived site status)."""
    return scoped(Site.objects.select_related("department"), user).prefetch_related(
        Prefetch("charge_points", queryset=ChargePoint.objects.only("id", "site_id", "status"))
    )


def site_status(site: Site) -> str:
    return derive.site_status(cp.status for cp in site.charge_points.all())


def charge_point_list(*, user: User) -> QuerySet[ChargePoint]:
    return scoped(ChargePoint.objects.select_related("site"), user).prefetch_related(
        Prefetch("connectors", queryset=Connector.objects.order_by("evse_id", "connector_id"))
    )


def connector_list(*, user: User) -> QuerySet[Connector]:
    return scoped(Connector.objects.select_related("charge_point__site"), user)


def connector_availability(*, connector: Connector, start: datetime, end: datetime) -> derive.Availability:
    """Share of [start, end) the connector could serve (`stations.status.availability`), from its status history
    and its charge point's maintenance windows: three queries."""
    before = (
        ConnectorStatusChange.objects.filter(connector=connector, changed_at__lt=start)
        .order_by("-changed_at", "-pk")
        .values_list("status", flat=True)
        .first()
    )
    changes = list(
        ConnectorStatusChange.objects.filter(connector=connector, changed_at__gte=start, changed_at__lt=end)
        .order_by("changed_at", "pk")
        .values_list("changed_at", "status")
    )
    maintenance = list(
        MaintenanceWindow.objects.filter(
            charge_point_id=connector.charge_point_id, starts_at__lt=end, ends_at__gt=start
        ).values_list("starts_at", "ends_at")
    )
    return derive.availability(changes=changes, status_before=before, start=start, end=end, maintenance=maintenance)


def active_rules() -> list[compatibility.Rule]:
    return [
        compatibility.Rule(r.inlet, r.connector_type, r.adapter, r.max_power_kw)
        for r in CompatibilityRule.objects.filter(is_active=True)
    ]


def vehicle_fit(vehicle: Vehicle, connector: Connector, rules: list[compatibility.Rule]) -> compatibility.Fit | None:
    model = vehicle.vehicle_model
    return compatibility.fit(
        inlets=model.inlets,
        max_ac_kw=model.max_ac_kw,
        max_dc_kw=model.max_dc_kw,
        connector_type=connector.connector_type,
        current_type=connector.current_type,
        connector_max_kw=connector.max_power_kw,
        rules=rules,
    )


@dataclass(frozen=True)
class CompatibleConnector:
    connector: Connector
    power_kw: Decimal
    limited_by: str
    adapter: str


def compatible_connectors(
    *, vehicle: Vehicle, user: User, site_id: int | None = None, available_only: bool = False
) -> list[CompatibleConnector]:
    """Every connector in the user's scope the vehicle can use, fastest first: two queries."""
    connectors = connector_list(user=user)
    if site_id is not None:
        connectors = connectors.filter(charge_point__site_id=site_id)
    if available_only:
        connectors = connectors.filter(status=Connector.Status.AVAILABLE, charge_point__is_connected=True)
    rules = active_rules()
    found = []
    for connector in connectors:
        fit = vehicle_fit(vehicle, connector, rules)
        if fit is not None:
            found.append(CompatibleConnector(connector, fit.power_kw, fit.limited_by, fit.adapter))
    return sorted(found, key=lambda c: (-c.power_kw, c.connector.charge_point.identity, c.connector.evse_id))


INCOMPATIBLE_CONNECTOR = "incompatible_connector"  # the one code of this rule, wherever a vehicle meets a connector


def incompatibility_error(vehicle: Vehicle, connector: Connector) -> ValidationError | None:
    """None when the vehicle can use the connector, else the error every caller raises (a session, a reservation,
    a quote, a remote start): the reason as a sentence, code `incompatible_connector`."""
    reason = incompatibility_reason(vehicle, connector)
    if reason is None:
        return None
    return ValidationError(reason[0].upper() + reason[1:] + ".", code=INCOMPATIBLE_CONNECTOR)


def incompatibility_reason(
    vehicle: Vehicle, connector: Connector, *, label: str | None = None, rules: list | None = None
) -> str | None:
    """None when the vehicle can use the connector, else a message naming both sides (the vehicle as `label`,
    by default its fleet number, plate or VIN)."""
    if vehicle_fit(vehicle, connector, active_rules() if rules is None else rules) is not None:
        return None
    return compatibility.incompatibility_message(
        vehicle_label=label or vehicle.fleet_number or vehicle.license_plate or vehicle.vin,
        inlets=vehicle.vehicle_model.inlets,
        connector_label=connector.label(),
        current_type=connector.current_type,
        has_dc=vehicle.vehicle_model.max_dc_kw is not None,
    )
