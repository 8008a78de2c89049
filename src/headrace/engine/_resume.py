"""Rebuild a run's tree from the store, so another process can finish a run a dead one started."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from headrace.engine._nodes import ArtifactRef, DagScope, Node
from headrace.executors import ProcessIdentity, stop_orphans
from headrace.states import AttemptState, TaskState
from headrace.store import Store
from headrace.store.records import TaskRecord

log = logging.getLogger("headrace.engine")

LOST_ATTEMPT = "the worker running this attempt stopped; Headrace started the task again"
STOPPED_ORPHAN = "stopped: the Headrace process that ran it died"


class StoredTree:
    """The task records of one run, by parent, consumed as the engine rebuilds each scope."""

    def __init__(self, tasks: list[TaskRecord]) -> None:
        self._children: dict[str | None, list[TaskRecord]] = defaultdict(list)
        for task in tasks:
            self._children[task.parent_id].append(task)

    def root(self) -> TaskRecord | None:
        roots = self._children.get(None, [])
        return roots[0] if roots else None

    def has_children(self, task_id: str) -> bool:
        return task_id in self._children

    def add(self, tasks: list[TaskRecord]) -> None:
        """Tasks just created, for `take_children` to hand out like stored ones."""
        for task in tasks:
            self._children[task.parent_id].append(task)

    def take_children(self, task_id: str) -> list[TaskRecord] | None:
        """The stored children of a task, once; None when there are none to reuse."""
        return self._children.pop(task_id, None)


def node_from_record(
    store: Store, record: TaskRecord, task_spec: Any, scope: DagScope | None
) -> Node:
    """A node in the state the store last recorded for it."""
    node = Node(
        record.id,
        record.name,
        record.path,
        record.kind,
        record.component_name or "",
        task_spec,
        scope,
        state=record.state,
        error=record.error,
        iteration_index=record.iteration_index,
        params=dict(record.inputs),
        outputs=dict(record.outputs),
        attempts=record.attempt_count,
    )
    if record.state is TaskState.PENDING:
        # Attempts before a retry of the run do not count against the task's retry policy.
        node.lost_attempts = record.attempt_count
        return node
    for event in store.task_events(record.id):
        a = event.artifact
        ref = ArtifactRef(a.id, a.name, a.uri, a.schema_title, a.schema_version, a.metadata)
        target = node.output_artifacts if event.direction == "OUTPUT" else node.artifacts
        target.setdefault(event.key, []).append(ref)
    return node


def close_lost_attempts(store: Store, task_id: str, stopped: Collection[str] = ()) -> int:
    """Mark attempts a dead worker left RUNNING as failed; return how many there were.

    `stopped` holds the attempts whose left-over process `stop_left_over` stopped.
    """
    lost = [a for a in store.list_attempts(task_id=task_id) if a.state is AttemptState.RUNNING]
    for attempt in lost:
        error = STOPPED_ORPHAN if attempt.id in stopped else LOST_ATTEMPT
        store.finish_attempt(attempt.id, AttemptState.FAILED, None, error)
    return len(lost)


def stop_left_over(store: Store, run_id: str, grace_seconds: float) -> set[str]:
    """Stop the task processes that the dead process running this run left on this machine.

    Attempts still RUNNING in the store whose process the executor reported are stopped before
    the run goes on, so a task never runs twice at once; returns the ids of those stopped.
    """
    recorded = store.running_attempt_processes(run_id)
    if not recorded:
        return set()
    identities = [ProcessIdentity(p.host, p.pid, p.group, p.start) for p in recorded.values()]
    stopped = stop_orphans(identities, grace_seconds)
    ids = {attempt for attempt, done in zip(recorded, stopped, strict=True) if done}
    if ids:
        log.warning("run %s: stopped %d task process(es) left running", run_id, len(ids))
    return ids
