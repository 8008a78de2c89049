"""Tasks and their attempts: the engine's record of what ran, when, and how it ended."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update

from headrace.errors import NotFoundError
from headrace.states import AttemptState
from headrace.store import _common, _convert
from headrace.store._common import StoreBase, require, update_one
from headrace.store._direct import DirectStatement
from headrace.store._schema import AttemptRow, TaskRow
from headrace.store.records import AttemptRecord, NewTask, TaskRecord, TaskUpdate

_ATTEMPTS = cast(Table, AttemptRow.__table__)
_TASKS = cast(Table, TaskRow.__table__)


def _insert_all(table: Table, but: tuple[str, ...]) -> Any:
    """An INSERT of every column not named in `but`, each value a parameter of its name."""
    return insert(table).values({c.name: bindparam(c.name) for c in table.c if c.name not in but})


# The engine writes these for every task and attempt: see _direct for why they skip
# SQLAlchemy's execution path. Values travel as parameters.
_INSERT_TASKS = DirectStatement(_insert_all(_TASKS, but=("seq",)))
_INSERT_ATTEMPT = DirectStatement(
    _insert_all(_ATTEMPTS, but=("process_host", "process_id", "process_group", "process_start"))
)
_FINISH_ATTEMPT = DirectStatement(
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("_id"))
    .values({k: bindparam(k) for k in ("state", "exit_code", "error", "finished_at")})
)
_UPDATE_TASK_FIELDS = tuple(f.name for f in dataclasses.fields(TaskUpdate))
# One statement for any mix of changed fields, so that a turn's task updates are one
# executemany: a field given as NULL (None, "leave as it is") keeps the stored value.
_UPDATE_TASKS = DirectStatement(
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("_id"))
    .values(
        {
            k: func.coalesce(bindparam(k, type_=_TASKS.c[k].type), _TASKS.c[k])
            for k in _UPDATE_TASK_FIELDS
        }
    )
)


class TasksMixin(StoreBase):
    def create_task(self, new: NewTask) -> TaskRecord:
        """Record one task."""
        return self.create_tasks([new])[0]

    def create_tasks(self, news: Sequence[NewTask]) -> list[TaskRecord]:
        """Record many tasks in one transaction, in the given order."""
        now = _common.now()
        values = [_task_values(new, now) for new in news]
        if values:
            # Core, not the ORM's bulk insert (which costs twice as much per row): the engine
            # records every task, loop iterations by the thousand.
            with self._writing() as s:
                _INSERT_TASKS.execute(s, values)
        return [_convert.new_task_record(v) for v in values]

    def update_task(self, task_id: str, update_: TaskUpdate) -> None:
        """Change the fields of a task that `update_` gives (not None)."""
        values = {k: v for k, v in _update_values(update_).items() if v is not None}
        with self._writing() as s:
            if values:
                stmt = update(TaskRow).where(TaskRow.id == task_id).values(**values)
                update_one(s, stmt, "task", task_id)
            else:
                require(s, TaskRow.id, task_id, "task")

    def update_tasks(self, updates: Sequence[tuple[str, TaskUpdate]]) -> None:
        """Apply many task updates in one transaction and one statement."""
        rows = [{"_id": task_id, **_update_values(update_)} for task_id, update_ in updates]
        if rows:
            with self._writing() as s:
                _UPDATE_TASKS.execute(s, rows)

    def get_task(self, task_id: str) -> TaskRecord:
        with self._read.begin() as s:
            row = s.scalars(select(TaskRow).where(TaskRow.id == task_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"task {task_id!r} not found")
            return _convert.task_record(row)

    def list_tasks(self, run_id: str) -> list[TaskRecord]:
        """A run's tasks in creation order."""
        # Plain rows, not ORM objects: a run can have tens of thousands of tasks.
        table = cast(Table, TaskRow.__table__)
        stmt = select(table).where(table.c.run_id == run_id).order_by(table.c.seq)
        with self._read.begin() as s:
            return [_convert.task_record(row) for row in s.execute(stmt)]

    # attempts

    def create_attempt(
        self,
        task_id: str,
        run_id: str,
        number: int,
        log_path: str,
        *,
        log_uri: str | None = None,
    ) -> AttemptRecord:
        """Record a RUNNING attempt that starts now."""
        values: dict[str, Any] = {
            "id": _common.new_id(),
            "task_id": task_id,
            "run_id": run_id,
            "number": number,
            "state": AttemptState.RUNNING.value,
            "exit_code": None,
            "log_path": log_path,
            "log_uri": log_uri,
            "error": None,
            "started_at": _common.now(),
            "finished_at": None,
        }
        with self._writing() as s:
            _INSERT_ATTEMPT.execute(s, [values])
        return AttemptRecord(**{**values, "state": AttemptState.RUNNING})

    def finish_attempt(
        self, attempt_id: str, state: AttemptState, exit_code: int | None, error: str | None
    ) -> None:
        """Close an attempt now with its outcome."""
        values = {
            "_id": attempt_id,
            "state": state.value,
            "exit_code": exit_code,
            "error": error,
            "finished_at": _common.now(),
        }
        with self._writing() as s:
            if _FINISH_ATTEMPT.execute(s, [values]) == 0:
                raise NotFoundError(f"attempt {attempt_id!r} not found")

    def list_attempts(
        self, *, run_id: str | None = None, task_id: str | None = None
    ) -> list[AttemptRecord]:
        """Attempts of a run or a task, by task creation order then attempt number."""
        if run_id is None and task_id is None:
            raise ValueError("list_attempts needs run_id or task_id")
        stmt = select(AttemptRow).join(TaskRow, TaskRow.id == AttemptRow.task_id)
        if run_id is not None:
            stmt = stmt.where(AttemptRow.run_id == run_id)
        if task_id is not None:
            stmt = stmt.where(AttemptRow.task_id == task_id)
        with self._read.begin() as s:
            rows = s.scalars(stmt.order_by(TaskRow.seq, AttemptRow.number))
            return [_convert.attempt_record(row) for row in rows]


def _task_values(new: NewTask, now: datetime) -> dict[str, Any]:
    return {
        "id": _common.new_id(),
        "run_id": new.run_id,
        "parent_id": new.parent_id,
        "name": new.name,
        "path": new.path,
        "kind": new.kind.value,
        "component_name": new.component_name,
        "iteration_index": new.iteration_index,
        "iteration_count": None,
        "state": new.state.value,
        "inputs": {},
        "outputs": {},
        "error": None,
        "cache_fingerprint": None,
        "cached_from_task_id": None,
        "image": None,
        "command": None,
        "attempt_count": 0,
        "created_at": now,
        "started_at": None,
        "finished_at": None,
    }


def _update_values(update_: TaskUpdate) -> dict[str, Any]:
    return {
        "state": None if update_.state is None else update_.state.value,
        "inputs": update_.inputs,
        "outputs": update_.outputs,
        "error": update_.error,
        "cache_fingerprint": update_.cache_fingerprint,
        "cached_from_task_id": update_.cached_from_task_id,
        "image": update_.image,
        "command": update_.command,
        "attempt_count": update_.attempt_count,
        "iteration_count": update_.iteration_count,
        "started_at": update_.started_at,
        "finished_at": update_.finished_at,
    }
