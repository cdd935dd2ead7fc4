"""Helpers for tests that drive simulated stations from a test thread: ORM calls in worker threads that close
their connections, and waiting for a condition the server reaches asynchronously."""

import asyncio

from django.db import connections


def closing(function, *args, **kwargs):
    """`function(*args, **kwargs)` for asyncio.to_thread, closing the thread's database connections after."""

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return run


async def wait_for(predicate, what: str, tries: int = 150, every_s: float = 0.1) -> None:
    """Poll `predicate` (an ORM call, run in a thread) until it is true; fail naming `what` after 15 s."""
    for _ in range(tries):
        if await asyncio.to_thread(closing(predicate)):
            return
        await asyncio.sleep(every_s)
    raise AssertionError(f"timed out waiting for {what}")
