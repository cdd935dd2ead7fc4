"""The simulation app's tables, one module per subdomain, re-exported here for Django."""
