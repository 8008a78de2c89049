"""Headrace additions for the web UI: a run's task tree by level, one task's details, progress."""

from __future__ import annotations

from typing import Any

from headrace.api.schemas.common import ApiModel, Timestamp


class TaskNode(ApiModel):
    """One task of a run as the graph draws it; `child_states` counts its direct children."""

    task_id: str
    parent_task_id: str | None = None
    name: str
    path: str
    kind: str
    component_name: str | None = None
    state: str
    iteration_index: int | None = None
    iteration_count: int | None = None
    attempt_count: int = 0
    created_at: Timestamp | None = None
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    error: str | None = None
    child_states: dict[str, int] | None = None


class ListTaskNodesResponse(ApiModel):
    tasks: list[TaskNode]
    total_size: int
    next_page_token: str | None = None


class TaskAttempt(ApiModel):
    number: int
    state: str
    exit_code: int | None = None
    error: str | None = None
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None


class TaskArtifact(ApiModel):
    """An artifact a task consumed or produced, under the input or output `key`."""

    key: str
    artifact_id: str
    name: str
    type: str
    uri: str
    metadata: dict[str, Any]
    producer_task_id: str | None = None


class TaskDetail(ApiModel):
    task: TaskNode
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    input_artifacts: list[TaskArtifact]
    output_artifacts: list[TaskArtifact]
    attempts: list[TaskAttempt]
    cache_fingerprint: str | None = None
    cached_from_task_id: str | None = None
    image: str | None = None
    command: list[str] | None = None


class RunProgress(ApiModel):
    """What changes while a run runs, cheap enough to poll every second."""

    run_id: str
    state: str
    finished_at: Timestamp | None = None
    task_states: dict[str, int]
    error: str | None = None


class ListRunArtifactsResponse(ApiModel):
    artifacts: list[TaskArtifact]
