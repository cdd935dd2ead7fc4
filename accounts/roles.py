"""What each role may do, as Django model permissions: the admin site, the API and the pages all ask
`user.has_perm("fleet.change_vehicle")`, and accounts.backends.RoleBackend answers from this table.

Which objects a permission reaches is the other half, department scoping (accounts/scoping.py).
Administrators hold every permission and see every department.
"""

from accounts.models import User

Role = User.Role
PRICING_MODELS = (
    "tariff",
    "tariffversion",
    "customer",
    "contract",
    "holidaycalendar",
    "loadpricing",
    "gridsignal",
    "priceinterval",
)

ANALYTICS_READ = {  # the rollups behind the dashboard; viewing them is what opens the analytics pages
    f"analytics.{m}": "v" for m in ("vehicleday", "chargingday", "siteday", "connectorday", "carbonzone", "icebaseline")
}
SIMULATION_READ = {  # what the weather and traffic feeds stored and how they are doing (beat jobs write them)
    f"simulation.{m}": "v" for m in ("weatherhour", "trafficreading", "feedstatus")
}
# the state of health (issue 16): every role that sees vehicles sees their battery's health; the nightly job writes it
HEALTH_READ = {f"simulation.{m}": "v" for m in ("vehiclehealth", "healthday", "capacityobservation")}
# the fleet's work (issue 17): routes, duty schedules, trips, vehicles' depots, the department's reserve
OPERATIONS_MODELS = ("route", "routestop", "dutyschedule", "trip", "vehicledepot", "operationspolicy")
OPERATIONS_READ = {f"operations.{m}": "v" for m in OPERATIONS_MODELS}
# road graphs (issue 18): shared regional infrastructure every role reads (routes, charging stops and route plans of
# every department are planned on them); importing, re-importing and deleting one change routing for every
# department at once: administrators only (they hold every permission), so no role here adds or changes them
ROUTING_READ = {"routing.roadgraph": "v"}

# multi-vehicle route plans (issue 18): a plan and what it holds; solving and committing a plan are changes to it
ROUTE_PLAN_MODELS = ("routeplan", "planjob", "plannedroute", "plannedvisit")
ROUTE_PLANS_READ = {f"routing.{m}": "v" for m in ROUTE_PLAN_MODELS}
# model label -> actions, as letters: v(iew) a(dd) c(hange) d(elete)
_MATRIX: dict[str, dict[str, str]] = {
    Role.FLEET_MANAGER: {
        "accounts.department": "v",
        **ROUTING_READ,
        **SIMULATION_READ,
        "fleet.vehiclemodel": "vac",
        "fleet.vehicle": "vacd",
        **HEALTH_READ,
        "fleet.telemetrypoint": "va",
        **{f"operations.{m}": "vacd" for m in OPERATIONS_MODELS},  # plans the fleet's work and its reserve
        **{f"routing.{m}": "vacd" for m in ROUTE_PLAN_MODELS},  # plans the day's routes and commits them as trips
        **{f"stations.{m}": "vacd" for m in ("site", "chargepoint", "connector", "maintenancewindow")},
        "stations.ocppcommand": "va",
        "stations.ocppmessage": "v",
        "stations.alert": "vc",
        "stations.connectorstatuschange": "v",
        "stations.compatibilityrule": "v",
        "charging.metersample": "v",
        "charging.idtoken": "vacd",
        **{f"pricing.{m}": "vacd" for m in ("tariff", "customer", "contract", "loadpricing")},
        "pricing.tariffversion": "va",
        "pricing.holidaycalendar": "v",
        "pricing.gridsignal": "va",
        "pricing.priceinterval": "v",
        "charging.reservation": "vac",
        "charging.reservationdecision": "v",
        "charging.reservationpolicy": "vacd",
        "charging.roamingpolicy": "vacd",
        "charging.chargingsession": "vac",
        "charging.circuit": "vacd",
        "charging.chargingplan": "va",  # plans and re-plans a site
        **ANALYTICS_READ,
        "analytics.carbonintensity": "va",
        "analytics.carbonoffset": "vacd",
        "analytics.savedreport": "vacd",
        "analytics.reportrun": "v",
    },
    Role.DISPATCHER: {
        "accounts.department": "v",
        **ROUTING_READ,
        **SIMULATION_READ,
        **{f"operations.{m}": "vacd" for m in ("route", "routestop", "dutyschedule", "trip")},  # dispatchers plan trips
        **ROUTE_PLANS_READ,  # and see the route plans the fleet manager committed
        "operations.vehicledepot": "vac",
        "operations.operationspolicy": "v",
        "fleet.vehiclemodel": "v",
        "fleet.vehicle": "vc",
        **HEALTH_READ,
        "fleet.telemetrypoint": "v",
        **{f"stations.{m}": "v" for m in ("site", "chargepoint", "connector", "alert", "connectorstatuschange")},
        "stations.ocppcommand": "va",
        "stations.compatibilityrule": "v",
        "charging.metersample": "v",
        "charging.idtoken": "v",
        **{f"pricing.{m}": "v" for m in PRICING_MODELS},
        "charging.reservation": "vac",  # dispatchers book chargers
        "charging.reservationdecision": "v",
        "charging.reservationpolicy": "v",
        "charging.roamingpolicy": "v",
        "charging.chargingsession": "vac",  # and start and stop vehicles
        "charging.circuit": "v",
        "charging.chargingplan": "va",
        **ANALYTICS_READ,
        "analytics.savedreport": "vacd",
        "analytics.reportrun": "v",
    },
    Role.TECHNICIAN: {
        "accounts.department": "v",
        **ROUTING_READ,
        **SIMULATION_READ,
        **OPERATIONS_READ,
        **ROUTE_PLANS_READ,
        "fleet.vehiclemodel": "v",
        "fleet.vehicle": "vc",
        **HEALTH_READ,
        "fleet.telemetrypoint": "v",
        **{f"stations.{m}": "v" for m in ("site", "ocppmessage", "connectorstatuschange", "compatibilityrule")},
        "stations.chargepoint": "vc",
        "stations.connector": "vc",
        "stations.maintenancewindow": "vacd",
        "stations.ocppcommand": "va",
        "stations.alert": "vc",
        "charging.chargingsession": "v",
        "charging.metersample": "v",
        "charging.reservation": "v",
        "charging.circuit": "vc",
        "charging.chargingplan": "v",
    },
    Role.ANALYST: {
        "accounts.department": "v",
        **ROUTING_READ,
        **SIMULATION_READ,
        **OPERATIONS_READ,
        **ROUTE_PLANS_READ,
        "fleet.vehiclemodel": "v",
        "fleet.vehicle": "v",
        **HEALTH_READ,
        "fleet.telemetrypoint": "v",
        **{
            f"stations.{m}": "v"
            for m in ("site", "chargepoint", "connector", "alert", "connectorstatuschange", "maintenancewindow")
        },
        "stations.compatibilityrule": "v",
        "charging.chargingsession": "v",
        "charging.metersample": "v",
        **{f"pricing.{m}": "v" for m in PRICING_MODELS},
        "charging.reservation": "v",
        "charging.reservationpolicy": "v",
        "charging.roamingpolicy": "v",
        "charging.circuit": "v",
        "charging.chargingplan": "v",
        **ANALYTICS_READ,  # analysts: every figure, and reports of their own
        "analytics.carbonintensity": "v",
        "analytics.carbonoffset": "v",
        "analytics.savedreport": "vacd",
        "analytics.reportrun": "v",
    },
    Role.INTEGRATOR: {
        "accounts.department": "v",
        **ROUTING_READ,
        **SIMULATION_READ,
        **OPERATIONS_READ,
        **{f"operations.{m}": "vac" for m in ("route", "routestop", "dutyschedule", "trip")},  # an ERP sends the work
        # and may plan it through the API: create, solve, commit (add on routes and trips above); no deletes
        **{f"routing.{m}": "vac" for m in ROUTE_PLAN_MODELS},
        "fleet.vehiclemodel": "v",
        "fleet.vehicle": "v",
        **HEALTH_READ,
        "fleet.telemetrypoint": "va",
        **{f"stations.{m}": "v" for m in ("site", "chargepoint", "connector", "alert", "compatibilityrule")},
        "charging.chargingsession": "v",
        "charging.metersample": "v",
        **{f"pricing.{m}": "v" for m in ("tariff", "tariffversion", "customer", "priceinterval", "holidaycalendar")},
        "pricing.gridsignal": "va",  # grid operators' feeds push prices and load
        "charging.reservation": "vac",  # an ERP may book for its vehicles
        "charging.circuit": "v",
        "charging.chargingplan": "v",
        **ANALYTICS_READ,  # and reads the figures and reports through the API
        "analytics.carbonintensity": "va",  # a carbon-data provider's feed pushes hourly intensities
        "analytics.savedreport": "v",
        "analytics.reportrun": "v",
    },
}
_ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def _expand(table: dict[str, str]) -> frozenset[str]:
    perms = set()
    for label, letters in table.items():
        app_label, model = label.split(".")
        perms.update(f"{app_label}.{_ACTIONS[letter]}_{model}" for letter in letters)
    return frozenset(perms)


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {role: _expand(table) for role, table in _MATRIX.items()}

# Roles that may sign in to the dashboard and the Django admin; integrators use the API only.
STAFF_ROLES = frozenset(Role) - {Role.INTEGRATOR}


def permissions_for(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
