"""Write side of charging, by domain: sessions and their costs, transactions and meter values (what the OCPP
gateway calls), reservations, roaming, what the session reports say (their figures and CSV), smart charging;
what charging tells people (`notices`, through notifications). Tariffs, contracts and quotes are the pricing
app's (pricing.services).
Callers use `charging.services.<name>`."""

from charging.services.reports import *  # noqa: F403
from charging.services.reservation_queue import *  # noqa: F403
from charging.services.reservation_rules import *  # noqa: F403
from charging.services.reservations import *  # noqa: F403
from charging.services.roaming import *  # noqa: F403
from charging.services.session_costs import *  # noqa: F403
from charging.services.sessions import *  # noqa: F403
from charging.services.smart import *  # noqa: F403
