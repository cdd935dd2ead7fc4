"""Demo depots: a site per depot team, simulated charge points (SIM-*) with realistic connectors, RFID tokens."""

from decimal import Decimal

from accounts.models import Department
from fleet.demo import DEPARTMENTS
from stations.models import ChargePoint, Connector, Site

# depot team -> (site name, grid limit kW, [(identity, [(type, current, kW, A, V)])])
EU_DC = ("ccs2", "dc", "150.0", 375, 400)
EU_AC = ("type2", "ac", "22.0", 32, 400)
NA_DC = ("ccs1", "dc", "150.0", 375, 400)
NA_AC = ("type1", "ac", "11.5", 48, 240)
CHADEMO = ("chademo", "dc", "50.0", 125, 400)

PLACEHOLDER = (52.5, 13.4)  # where every demo depot stood before (Brooklyn's too): moved to its own place

DEPOTS = {
    "Depot Berlin-Nord": (
        "Berlin-Nord depot",
        "630.0",
        [
            ("SIM-BN-01", [EU_DC, EU_AC]),
            ("SIM-BN-02", [EU_DC, CHADEMO]),
            ("SIM-BN-03", [EU_AC, EU_AC]),
            ("SIM-BN-04", [EU_AC, EU_AC]),
        ],
    ),
    "Depot Berlin-Süd": (
        "Berlin-Süd depot",
        "400.0",
        [("SIM-BS-01", [EU_DC, EU_AC]), ("SIM-BS-02", [EU_AC, EU_AC]), ("SIM-BS-03", [EU_AC, EU_AC])],
    ),
    "Field Service": ("Field Service yard", "160.0", [("SIM-FS-01", [EU_AC, EU_AC])]),
    "Executive Pool": ("Executive Pool garage", "120.0", [("SIM-EP-01", [EU_AC, EU_AC]), ("SIM-EP-02", [EU_AC])]),
    "Brooklyn Yard": ("Brooklyn yard", "500.0", [("SIM-NY-01", [NA_DC, NA_AC]), ("SIM-NY-02", [NA_AC, NA_AC])]),
}


def build_demo_stations(departments: dict[str, Department]) -> int:
    """Create what is missing; returns the number of charge points."""
    where = {name: (lat, lon) for name, _parent, _zone, lat, lon in DEPARTMENTS}  # each depot where its fleet is
    for team, (site_name, limit, stations) in DEPOTS.items():
        department = departments[team]
        latitude, longitude = where[team]
        site, _ = Site.objects.get_or_create(
            department=department,
            name=site_name,
            defaults={
                "latitude": latitude,
                "longitude": longitude,
                "time_zone": department.time_zone,
                "grid_limit_kw": Decimal(limit),
            },
        )
        if (site.latitude, site.longitude) == PLACEHOLDER:  # a demo built before the depots had their places
            Site.objects.filter(pk=site.pk).update(latitude=latitude, longitude=longitude)
        for identity, connectors in stations:
            charge_point, _ = ChargePoint.objects.get_or_create(
                identity=identity, defaults={"site": site, "heartbeat_interval_s": 60}
            )
            for evse_id, (kind, current, kw, amps, volts) in enumerate(connectors, start=1):
                Connector.objects.get_or_create(
                    charge_point=charge_point,
                    evse_id=evse_id,
                    connector_id=1,
                    defaults={
                        "connector_type": kind,
                        "current_type": current,
                        "max_power_kw": Decimal(kw),
                        "max_current_a": amps,
                        "nominal_voltage_v": volts,
                    },
                )
    return ChargePoint.objects.filter(identity__startswith="SIM-").count()
