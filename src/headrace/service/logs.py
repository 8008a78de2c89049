"""Read a task attempt's log for the CLI and the API, wherever the run's namespace keeps it."""

from __future__ import annotations

from headrace.errors import NotFoundError
from headrace.states import AttemptState
from headrace.storage.logs import LogLocation, read_log
from headrace.storage.settings import StorageSettings
from headrace.store import Store
from headrace.store.records import AttemptRecord


def task_attempt(store: Store, run_id: str, task_id: str, number: int | None) -> AttemptRecord:
    """The attempt `number` of a run's task, or its latest attempt when `number` is None."""
    task = store.get_task(task_id)
    if task.run_id != run_id:
        raise NotFoundError(f"run {run_id!r} has no task {task_id!r}")
    attempts = store.list_attempts(task_id=task_id)
    if number is not None:
        attempts = [a for a in attempts if a.number == number]
    if not attempts:
        which = "no attempts" if number is None else f"no attempt {number}"
        raise NotFoundError(f"task {task_id!r} has {which}", "a task that never ran has no log")
    return attempts[-1]


def attempt_log(attempt: AttemptRecord, storage: StorageSettings) -> str:
    """The log so far: live from the worker's file while it runs, from the archive after."""
    location = LogLocation(attempt.log_path, attempt.log_uri)
    return read_log(location, storage, live=attempt.state is AttemptState.RUNNING)
