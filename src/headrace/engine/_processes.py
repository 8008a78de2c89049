"""The task processes executors report, written to the store for a resumed run to stop."""

from __future__ import annotations

import time

from headrace.executors.base import ProcessIdentity
from headrace.store import Store
from headrace.store.records import AttemptProcess

RECORD_AFTER_SECONDS = 0.25
"""How long a task runs before its process is written: most tasks of a fast pipeline end
sooner, and their attempt's end is all the store needs; so they cost no extra write."""


class TaskProcesses:
    """Reported processes of running attempts, written in the engine's turn once they are due."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: dict[str, tuple[float, ProcessIdentity]] = {}

    def started(self, attempt_id: str, identity: ProcessIdentity) -> None:
        self._pending[attempt_id] = (time.monotonic() + RECORD_AFTER_SECONDS, identity)

    def ended(self, attempt_id: str) -> None:
        self._pending.pop(attempt_id, None)

    def seconds_to_next(self) -> float | None:
        """How long until the next process is due to be written; None when none waits."""
        if not self._pending:
            return None
        return max(0.0, min(due for due, _ in self._pending.values()) - time.monotonic())

    def write_due(self) -> None:
        """Write the processes of the attempts that have run long enough (in the open batch)."""
        now = time.monotonic()
        for attempt_id, (due, identity) in list(self._pending.items()):
            if due <= now:
                del self._pending[attempt_id]
                process = AttemptProcess(
                    identity.host, identity.pid, identity.group, identity.start
                )
                self._store.record_attempt_process(attempt_id, process)
