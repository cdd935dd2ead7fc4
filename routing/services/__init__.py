"""Write side of routing, a module per subject: `graphs` (road graphs imported from OpenStreetMap)."""
