"""Services queue their app's tasks by name (evfleet.jobs): a wrong name fails in the caller, at once."""

import pytest
from celery.exceptions import NotRegistered

from evfleet.jobs import enqueue, task_named


def test_a_task_is_found_by_its_name_and_its_module_imported_if_needed():
    task = task_named("charging.tasks.session_price")
    assert task.name == "charging.tasks.session_price"


def test_a_name_that_is_no_task_fails_when_queued_not_later_in_a_worker():
    with pytest.raises(NotRegistered):
        enqueue("charging.tasks.no_such_task", session_id=1)
    with pytest.raises(ModuleNotFoundError):
        enqueue("charging.no_such_module.task")
