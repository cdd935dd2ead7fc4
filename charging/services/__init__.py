"""Write side of charging, by domain: pricing, sessions, reservations, roaming, notifications, reports, smart
charging.
Callers use `charging.services.<name>`."""

from charging.services.notifications import *  # noqa: F403
from charging.services.pricing import *  # noqa: F403
from charging.services.reports import *  # noqa: F403
from charging.services.reservations import *  # noqa: F403
from charging.services.roaming import *  # noqa: F403
from charging.services.sessions import *  # noqa: F403
from charging.services.smart import *  # noqa: F403
