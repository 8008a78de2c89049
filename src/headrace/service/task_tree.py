"""A run's task tree for views: one level at a time with child state counts, one task in full."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from headrace.errors import InvalidArgumentError, NotFoundError
from headrace.service.run_queries import get_run
from headrace.states import TaskKind, TaskState
from headrace.store import Store
from headrace.store.records import (
    AttemptRecord,
    LineageRecord,
    RunRecord,
    TaskRecord,
)

MAX_PAGE = 500
DEFAULT_PAGE = 100
_PARENTS = (TaskKind.ROOT, TaskKind.DAG, TaskKind.LOOP, TaskKind.ITERATION)


@dataclass(frozen=True)
class TaskLevel:
    """Children of one task (a page of them), each parent-like child with its children's states."""

    tasks: list[TaskRecord]
    child_states: dict[str, dict[str, int]]
    total_size: int
    next_page_token: str | None


@dataclass(frozen=True)
class TaskDetails:
    task: TaskRecord
    child_states: dict[str, int] | None
    attempts: list[AttemptRecord]
    events: list[LineageRecord]


def task_level(
    store: Store,
    run_id: str,
    parent_id: str | None,
    *,
    states: Sequence[str] = (),
    page_token: str | None = None,
    page_size: int | None = None,
) -> TaskLevel:
    """One page of `parent_id`'s children (None: the run's root task)."""
    get_run(store, run_id)
    for state in states:
        if state not in TaskState.__members__:
            raise InvalidArgumentError(
                f"unknown task state {state!r}", f"use one of {', '.join(TaskState)}"
            )
    offset = _offset(page_token)
    size = DEFAULT_PAGE if not page_size else min(max(page_size, 1), MAX_PAGE)
    if parent_id is not None:
        _task_of(store, run_id, parent_id)
    tasks, total = store.list_child_tasks(
        run_id, parent_id, states=states, offset=offset, limit=size
    )
    parents = [t.id for t in tasks if t.kind in _PARENTS]
    counts = store.child_state_counts(run_id, parents)
    token = str(offset + len(tasks)) if offset + len(tasks) < total else None
    return TaskLevel(tasks, counts, total, token)


def task_details(store: Store, run_id: str, task_id: str) -> TaskDetails:
    get_run(store, run_id)
    task = _task_of(store, run_id, task_id)
    counts = None
    if task.kind in _PARENTS:
        counts = store.child_state_counts(run_id, [task.id]).get(task.id, {})
    events = store.task_events(task.id)
    return TaskDetails(task, counts, store.list_attempts(task_id=task.id), events)


def run_outputs(store: Store, run_id: str) -> list[LineageRecord]:
    """Artifacts the run's tasks output, also those reused from the cache (made by other runs)."""
    return store.run_output_events(get_run(store, run_id).id)


def run_progress(store: Store, run_id: str) -> tuple[RunRecord, dict[str, int]]:
    run = get_run(store, run_id)
    return run, store.run_task_counts(run.id)


def _task_of(store: Store, run_id: str, task_id: str) -> TaskRecord:
    try:
        task = store.get_task(task_id)
    except NotFoundError:
        task = None
    if task is None or task.run_id != run_id:
        raise NotFoundError(f"run {run_id!r} has no task {task_id!r}")
    return task


def _offset(page_token: str | None) -> int:
    if not page_token:
        return 0
    if not page_token.isdigit():
        raise InvalidArgumentError(f"invalid page_token {page_token!r}", "use next_page_token")
    return int(page_token)
