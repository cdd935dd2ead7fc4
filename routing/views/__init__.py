"""Routing's pages, a module per page family (`graphs`: the road graphs and the live map's road layer; `paths`: the
routing home, routes by distance, time and energy)."""
