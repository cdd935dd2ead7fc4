"""Write side of pricing, by subdomain: tariffs and versions, customers and contracts, load-based pricing and grid
signals, quotes. The API, the dashboard, the admin, the tasks and charging (which prices its sessions) call these;
callers use `pricing.services.<name>`."""

from django.core.exceptions import ValidationError  # noqa: F401  (what the services raise on bad input)

from pricing.services.contracts import *  # noqa: F403
from pricing.services.load import *  # noqa: F403
from pricing.services.quotes import *  # noqa: F403
from pricing.services.tariffs import *  # noqa: F403
