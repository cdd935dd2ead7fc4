"""The dispatcher's console pages, one module each (board.py: the readiness board)."""
