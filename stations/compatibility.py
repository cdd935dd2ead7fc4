"""Which connectors a vehicle can use, and at what power. Plain data in, plain data out.

A vehicle fits a connector when one of its inlets has an active rule for the connector's type
(rules are data: stations.CompatibilityRule, editable in the admin). The power it would get is
the least of the connector's maximum, the vehicle's AC (onboard charger) or DC limit, and any
limit the adapter of the rule imposes.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Rule:
    inlet: str
    connector_type: str
    adapter: str = ""
    max_power_kw: Decimal | None = None


@dataclass(frozen=True)
class Fit:
    power_kw: Decimal
    limited_by: str  # "connector", "vehicle", or "adapter"
    adapter: str


def fit(
    *,
    inlets: list[str],
    max_ac_kw: Decimal,
    max_dc_kw: Decimal | None,
    connector_type: str,
    current_type: str,
    connector_max_kw: Decimal,
    rules: list[Rule],
) -> Fit | None:
    """The best way the vehicle can use the connector, or None when it cannot."""
    vehicle_limit = max_ac_kw if current_type == "ac" else max_dc_kw
    if vehicle_limit is None or vehicle_limit <= 0:
        return None
    best: Fit | None = None
    for rule in rules:
        if rule.connector_type != connector_type or rule.inlet not in inlets:
            continue
        limits = [(connector_max_kw, "connector"), (vehicle_limit, "vehicle")]
        if rule.max_power_kw is not None:
            limits.append((rule.max_power_kw, "adapter"))
        power, limited_by = min(limits, key=lambda item: item[0])
        candidate = Fit(power_kw=power, limited_by=limited_by, adapter=rule.adapter)
        if (
            best is None
            or candidate.power_kw > best.power_kw
            or (candidate.power_kw == best.power_kw and not candidate.adapter)
        ):
            best = candidate
    return best


def incompatibility_message(
    *, vehicle_label: str, inlets: list[str], connector_label: str, current_type: str, has_dc: bool
) -> str:
    """Names both sides, e.g. "vehicle ABC (inlets: Type 2, CCS2) cannot use connector 3 of CP-17 (CHAdeMO)"."""
    from fleet.connectors import ConnectorType

    inlet_names = ", ".join(ConnectorType(i).label for i in inlets if i in ConnectorType.values)
    message = f"vehicle {vehicle_label} (inlets: {inlet_names}) cannot use {connector_label}"
    if current_type == "dc" and not has_dc:
        message += "; the vehicle cannot charge on DC"
    return message
