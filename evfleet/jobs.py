"""Queue a Celery task by its registered name, once the current transaction commits.

A service that hands work to its own app's task would otherwise import the tasks module, which imports the
services: an import circle (the layers in docs/architecture.md allow none). The name is the task's module and
function ("charging.tasks.session_price"): that module is imported here if it was not yet, and a name that is
no registered task fails in the caller, not later in a worker.
"""

from importlib import import_module

from django.db import transaction

from evfleet.celery import app


def task_named(task_name: str):
    """The registered task `task_name`, importing its module first if needed."""
    if task_name not in app.tasks:
        import_module(task_name.rpartition(".")[0])
    return app.tasks[task_name]  # celery.exceptions.NotRegistered: no task of that name


def enqueue(task_name: str, /, **kwargs) -> None:
    """`task_named(task_name).delay(**kwargs)` after commit (at once outside a transaction)."""
    task = task_named(task_name)
    transaction.on_commit(lambda: task.delay(**kwargs))
