"""The simulation app's read side, one module per subdomain (`feeds.py`: weather and traffic per site; `health.py`:
the state of health)."""
