"""Charging's dashboard pages: sessions, reservations, roaming and smart charging, a module each."""
