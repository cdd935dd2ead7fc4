"""Queue a Celery task by its registered name, once the current transaction commits.

A service that hands work to its own app's task would otherwise import the tasks module, which imports the
services: an import circle (the layers in docs/architecture.md allow none). The name is looked up at once, so a
task that is not registered fails in the caller, not later in a worker.
"""

from django.db import transaction

from evfleet.celery import app


def enqueue(task_name: str, /, **kwargs) -> None:
    """`app.tasks[task_name].delay(**kwargs)` after commit (at once outside a transaction)."""
    task = app.tasks[task_name]  # KeyError: no task of that name is registered
    transaction.on_commit(lambda: task.delay(**kwargs))
