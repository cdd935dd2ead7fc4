"""The simulation app's write side, one module per subdomain (`feeds.py`: the weather and traffic feeds; `health.py`:
the nightly state-of-health job)."""
