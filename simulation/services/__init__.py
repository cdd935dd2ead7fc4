"""The simulation app's write side, one module per subdomain (`feeds.py`: the weather and traffic feeds)."""
