"""Where the central system's ORM work runs: off the event loop, in worker threads."""

from channels.db import database_sync_to_async
from django.conf import settings

# PostgreSQL serves many stations at once from a pool of threads; SQLite takes one writer at a
# time, so there every station's database work queues on the one thread Channels keeps for it.
PARALLEL_DB = not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def db(function):
    """Run ORM code off the event loop."""
    return database_sync_to_async(function, thread_sensitive=not PARALLEL_DB)
