"""Write side of charging, by domain: pricing, sessions, reservations, roaming, what the session reports say
(their figures and CSV), smart charging; what charging tells people (`notices`, through notifications).
Callers use `charging.services.<name>`."""

from charging.services.pricing import *  # noqa: F403
from charging.services.reports import *  # noqa: F403
from charging.services.reservations import *  # noqa: F403
from charging.services.roaming import *  # noqa: F403
from charging.services.sessions import *  # noqa: F403
from charging.services.smart import *  # noqa: F403
