"""The dispatcher's console pages, a module per page: board.py (the readiness board, the home page), depot.py
(the live depot view), livemap.py (the live map)."""
