"""What operations announces to the apps above it (connected in their `AppConfig.ready()`): operations sits below
charging and imports none of it.

- `trip_changed(trip, vehicle_ids)`: a trip was created, moved, changed, cancelled or deleted. Sent inside the
  write's transaction by `operations.services`; `vehicle_ids` are the vehicles whose next departure may have
  changed (the trip's vehicle, and its former one when the trip moved to another). Charging re-plans the sites
  where those vehicles are plugged in or booked.
"""

from django.dispatch import Signal

trip_changed = Signal()
