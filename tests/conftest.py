"""Fixtures shared by the tests in this directory: the ASGI live server (tests/live_server.py)."""

pytest_plugins = ["tests.live_server"]
