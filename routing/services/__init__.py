"""Routing's services, a module per subject: `graphs` (road graphs imported from OpenStreetMap), `paths` (routes
by distance, time and energy: a read, nothing stored)."""
