"""Read side of the simulation app, a module per subdomain."""
