"""Retry a failed or canceled run: keep what succeeded, reset the rest for a worker to redo."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, select, update

from headrace.errors import ConflictError, NotFoundError
from headrace.states import RunState, TaskKind, TaskState
from headrace.store._common import StoreBase
from headrace.store._schema import ArtifactEventRow, RunRow, TaskRow

_KEPT = (TaskState.SUCCEEDED.value, TaskState.CACHED.value)
_GRAPH = (TaskKind.ROOT.value, TaskKind.DAG.value, TaskKind.LOOP.value, TaskKind.ITERATION.value)
_RETRYABLE = (RunState.FAILED, RunState.CANCELED)


class RetryMixin(StoreBase):
    def reset_for_retry(self, run_id: str) -> None:
        """Make a FAILED or CANCELED run PENDING again, keeping every task that succeeded.

        A graph task (root, sub-DAG, loop, iteration) with children goes back to RUNNING with
        its children kept, so a worker resumes inside it; any other task that did not succeed
        (a leaf, or a graph task that never started) goes back to PENDING and is evaluated
        again, conditions included; its earlier attempts and logs stay recorded. One
        transaction: all or nothing.
        """
        with self._writing() as s:
            run = s.get(RunRow, run_id, with_for_update=True)
            if run is None:
                raise NotFoundError(f"run {run_id!r} not found")
            if RunState(run.state) not in _RETRYABLE:
                raise ConflictError(
                    f"run {run_id!r} is {run.state}; only FAILED or CANCELED runs can be retried",
                    "wait for the run to end, or terminate it first",
                )
            rows = list(
                s.execute(
                    select(TaskRow.id, TaskRow.parent_id, TaskRow.kind, TaskRow.state).where(
                        TaskRow.run_id == run_id
                    )
                )
            )
            children: dict[str | None, list[str]] = defaultdict(list)
            for row in rows:
                children[row.parent_id].append(row.id)
            resume: list[str] = []
            redo: list[str] = []
            for row in rows:
                if row.state in _KEPT:
                    continue
                if row.kind in _GRAPH and children.get(row.id):
                    resume.append(row.id)
                else:
                    redo.append(row.id)
            if resume:
                s.execute(
                    update(TaskRow)
                    .where(TaskRow.id.in_(resume))
                    .values(state=TaskState.RUNNING.value, error=None, finished_at=None)
                )
            if redo:
                s.execute(delete(ArtifactEventRow).where(ArtifactEventRow.task_id.in_(redo)))
                s.execute(
                    update(TaskRow)
                    .where(TaskRow.id.in_(redo))
                    .values(
                        state=TaskState.PENDING.value,
                        error=None,
                        outputs={},
                        started_at=None,
                        finished_at=None,
                        cached_from_task_id=None,
                    )
                )
            run.state = RunState.PENDING.value
            run.error = None
            run.finished_at = None
            run.claimed_by = None
            run.lease_expires_at = None
