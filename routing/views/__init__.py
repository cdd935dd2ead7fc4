"""Routing's pages, a module per page family (`graphs`: the road graphs and the live map's road layer)."""
