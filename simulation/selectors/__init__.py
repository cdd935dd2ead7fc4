"""The simulation app's read side, one module per subdomain (`feeds.py`: weather and traffic per site)."""
