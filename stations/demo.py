"""Demo depots: a site per depot team, simulated charge points (SIM-*) with realistic connectors, RFID tokens;
and three public DC corridor sites of Northwind Logistics between Berlin and Hamburg, for the charging-stop
planner (routing): no vehicle is based there, so the simulated fleet never plugs one in (demo.fleet)."""

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
EU_DC_50 = ("ccs2", "dc", "50.0", 125, 400)

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
    # a micro-depot in a central Helsinki courtyard: two AC points, one 50 kW DC for a midday top-up
    "Helsinki City Logistics": (
        "Helsinki micro-depot",
        "150.0",
        [("SIM-HEL-01", [EU_AC, EU_AC]), ("SIM-HEL-02", [EU_DC_50])],
    ),
}

# public fast-charging sites on the A24 between Berlin and Hamburg, of the whole organisation (its teams below it
# may charge there): (site name, address, latitude, longitude, grid limit kW, [(identity, connectors)])
CORRIDOR_DEPARTMENT = "Northwind Logistics"
TWIN_DC = [EU_DC, EU_DC]  # one charge point, two CCS outlets of 150 kW
CORRIDOR = [
    ("Walsleben corridor", "A 24 exit Walsleben, 16818 Walsleben", 52.95, 12.62, "350.0", [("SIM-COR-WAL", TWIN_DC)]),
    ("Ludwigslust corridor", "A 24 exit Ludwigslust, 19288 Ludwigslust", 53.33, 11.50, "350.0",
     [("SIM-COR-LUD", TWIN_DC)]),
    ("Hamburg-Billbrook hub", "Billbrookdeich, 22113 Hamburg", 53.54, 10.08, "350.0", [("SIM-COR-HAM", TWIN_DC)]),
]  # fmt: skip


def build_demo_stations(departments: dict[str, Department]) -> int:
    """Create what is missing; returns the number of charge points."""
    where = {name: (lat, lon) for name, _parent, _zone, lat, lon in DEPARTMENTS}  # each depot where its fleet is
    for team, (site_name, limit, stations) in DEPOTS.items():
        department = departments[team]
        latitude, longitude = where[team]
        site = _site(department, site_name, latitude, longitude, limit)
        if (site.latitude, site.longitude) == PLACEHOLDER:  # a demo built before the depots had their places
            Site.objects.filter(pk=site.pk).update(latitude=latitude, longitude=longitude)
        _charge_points(site, stations)
    corridor_department = departments.get(CORRIDOR_DEPARTMENT)
    if corridor_department is not None:
        for site_name, address, latitude, longitude, limit, stations in CORRIDOR:
            site = _site(corridor_department, site_name, latitude, longitude, limit, address=address)
            _charge_points(site, stations)
    return ChargePoint.objects.filter(identity__startswith="SIM-").count()


def _site(department: Department, name: str, latitude: float, longitude: float, limit: str, address: str = "") -> Site:
    site, _ = Site.objects.get_or_create(
        department=department,
        name=name,
        defaults={
            "latitude": latitude,
            "longitude": longitude,
            "time_zone": department.time_zone,
            "grid_limit_kw": Decimal(limit),
            "address": address,
        },
    )
    return site


def _charge_points(site: Site, stations: list) -> None:
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
