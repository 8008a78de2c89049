"""Read a task attempt's log for the CLI and the API, wherever the run's namespace keeps it."""

from __future__ import annotations

from headrace.errors import NotFoundError
from headrace.states import AttemptState
from headrace.storage.logs import LogLocation, read_log, read_log_bytes
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


def _complete_utf8(data: bytes) -> int:
    """How many leading bytes of `data` end on a whole UTF-8 character: a running log's last
    bytes may be the start of one whose rest is not written yet."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:  # ASCII: everything up to here is whole
            return len(data)
        if byte >= 0xC0:  # a lead byte: whole if all its continuation bytes are here
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= length else len(data) - back
    return len(data)  # not UTF-8 as far as we can tell: decoding replaces it anyway


def attempt_log_from(
    attempt: AttemptRecord, storage: StorageSettings, offset: int
) -> tuple[str, int]:
    """The log from byte `offset` on and the offset to ask for next time.

    While the attempt runs, a character cut by the end of what was written so far is left for
    the next read; once it has ended every byte is returned.
    """
    location = LogLocation(attempt.log_path, attempt.log_uri)
    live = attempt.state is AttemptState.RUNNING
    data = read_log_bytes(location, storage, live=live, start=offset)
    if live:
        data = data[: _complete_utf8(data)]
    return data.decode("utf-8", errors="replace"), offset + len(data)
