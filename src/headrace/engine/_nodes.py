"""The in-memory tree of one run: DAG instances, loops, iterations and leaf tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headrace.states import TaskKind, TaskState


@dataclass(frozen=True)
class ArtifactRef:
    """An artifact as the engine passes it between tasks."""

    id: str
    name: str
    uri: str
    schema_title: str
    schema_version: str
    metadata: dict[str, Any]

    def executor_form(self) -> dict[str, Any]:
        """The shape of an artifact inside kfp's ExecutorInput."""
        return {
            "name": self.id,
            "uri": self.uri,
            "type": {"schemaTitle": self.schema_title, "schemaVersion": self.schema_version},
            "metadata": self.metadata,
        }


@dataclass(eq=False)
class Node:
    """One task of the run tree; DAG-like kinds hold children in a `DagScope`."""

    task_id: str
    name: str
    path: str
    kind: TaskKind
    component_name: str
    task_spec: Any  # pipeline_spec_pb2.PipelineTaskSpec; None for the root
    parent: DagScope | None
    state: TaskState = TaskState.PENDING
    error: str | None = None
    iteration_index: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, list[ArtifactRef]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    output_artifacts: dict[str, list[ArtifactRef]] = field(default_factory=dict)
    attempts: int = 0
    lost_attempts: int = 0
    first_started: float = 0.0
    scope: DagScope | None = None
    loop: LoopState | None = None


@dataclass(eq=False)
class DagScope:
    """The children of a DAG-like node and the bookkeeping of which are ready."""

    owner: Node
    children: dict[str, Node] = field(default_factory=dict)
    upstream: dict[str, set[str]] = field(default_factory=dict)
    downstream: dict[str, list[str]] = field(default_factory=dict)
    unfinished: int = 0


@dataclass(eq=False)
class LoopState:
    """The iterations of a ParallelFor and how many may run at once."""

    items: list[Any]
    limit: int
    iterations: list[Node] = field(default_factory=list)
    next_index: int = 0
    active: int = 0
    finished: int = 0
