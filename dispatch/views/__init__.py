"""The dispatcher's console pages, a module per page: board, depot view, live map (livemap.py)."""
