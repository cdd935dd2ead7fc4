"""What stations announce to the apps above them, which stations does not know.

Stations sits below charging in the layers (docs/architecture.md): it may not call sessions, reservations or
smart charging, yet a connector's change matters to them. It sends these signals instead, inside the
transaction of the change; `charging` connects its receivers in `ChargingConfig.ready()`
(charging/services/station_events.py). Each receiver runs in the sender's transaction, and an exception in
one rolls the change back, as a direct call would.
"""

from django.dispatch import Signal

# A StatusNotification was stored for a connector. Arguments: connector (with .charge_point and its site),
# status (the reported one), changed (the status or error code differs from the stored one), freed (it may
# take a vehicle now: Available, or back from Faulted/Unavailable), fault_changed (it became or stopped being
# Faulted: what the site can give changed).
connector_status_reported = Signal()

# Connectors that may take a vehicle again though no status said so (maintenance over or cancelled).
# Arguments: connector_ids (a list of ids).
connectors_freed = Signal()

# A station answered a command, or it could not be sent. Arguments: command (OcppCommand with its
# charge_point and site), accepted (bool).
command_answered = Signal()
