"""The rows of the store as plain, typed records that cross layer boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headrace.states import AttemptState, RunState, TaskKind, TaskState

DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class NewRun:
    pipeline_name: str
    display_name: str
    pipeline_spec: dict[str, Any]
    pipeline_root: str
    parameters: dict[str, Any] = field(default_factory=dict)
    platform_spec: dict[str, Any] | None = None
    namespace: str = DEFAULT_NAMESPACE
    experiment_id: str | None = None
    pipeline_version_id: str | None = None
    cache_enabled: bool = True


@dataclass(frozen=True)
class RunRecord:
    id: str
    namespace: str
    experiment_id: str | None
    pipeline_version_id: str | None
    display_name: str
    pipeline_name: str
    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] | None
    parameters: dict[str, Any]
    pipeline_root: str
    cache_enabled: bool
    state: RunState
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class NewTask:
    run_id: str
    parent_id: str | None
    name: str
    path: str
    kind: TaskKind
    component_name: str | None = None
    iteration_index: int | None = None
    state: TaskState = TaskState.PENDING


@dataclass(frozen=True)
class TaskUpdate:
    """Fields to change on a task; None means leave as it is."""

    state: TaskState | None = None
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    cache_fingerprint: str | None = None
    cached_from_task_id: str | None = None
    image: str | None = None
    command: list[str] | None = None
    attempt_count: int | None = None
    iteration_count: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class TaskRecord:
    id: str
    run_id: str
    parent_id: str | None
    name: str
    path: str
    kind: TaskKind
    component_name: str | None
    iteration_index: int | None
    iteration_count: int | None
    state: TaskState
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    error: str | None
    cache_fingerprint: str | None
    cached_from_task_id: str | None
    image: str | None
    command: list[str] | None
    attempt_count: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class AttemptRecord:
    id: str
    task_id: str
    run_id: str
    number: int
    state: AttemptState
    exit_code: int | None
    log_path: str
    error: str | None
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class NewArtifact:
    run_id: str
    name: str
    uri: str
    schema_title: str
    schema_version: str = "0.0.1"
    metadata: dict[str, Any] = field(default_factory=dict)
    producer_task_id: str | None = None


@dataclass(frozen=True)
class ArtifactRecord:
    id: str
    run_id: str
    name: str
    uri: str
    schema_title: str
    schema_version: str
    metadata: dict[str, Any]
    producer_task_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class LineageRecord:
    """One event: a task consumed (INPUT) or produced (OUTPUT) an artifact under a key."""

    task_id: str
    artifact: ArtifactRecord
    direction: str
    key: str
    position: int
