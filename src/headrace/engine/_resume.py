"""Rebuild a run's tree from the store, so another process can finish a run a dead one started."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from headrace.engine._nodes import ArtifactRef, DagScope, Node
from headrace.states import AttemptState, TaskState
from headrace.store import Store
from headrace.store.records import TaskRecord

LOST_ATTEMPT = "the worker running this attempt stopped; Headrace started the task again"


class StoredTree:
    """The task records of one run, by parent, consumed as the engine rebuilds each scope."""

    def __init__(self, tasks: list[TaskRecord]) -> None:
        self._children: dict[str | None, list[TaskRecord]] = defaultdict(list)
        for task in tasks:
            self._children[task.parent_id].append(task)

    def root(self) -> TaskRecord | None:
        roots = self._children.get(None, [])
        return roots[0] if roots else None

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


def close_lost_attempts(store: Store, task_id: str) -> int:
    """Mark attempts a dead worker left RUNNING as failed; return how many there were."""
    lost = [a for a in store.list_attempts(task_id=task_id) if a.state is AttemptState.RUNNING]
    for attempt in lost:
        store.finish_attempt(attempt.id, AttemptState.FAILED, None, LOST_ATTEMPT)
    return len(lost)
