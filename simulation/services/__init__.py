"""Write side of the simulation app, a module per subdomain (health: the daily state-of-health job)."""
