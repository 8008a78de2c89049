"""Headrace additions for views of big runs: task tree by level, task details, progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from headrace.api._context import Context
from headrace.api.schemas.tasks import (
    ListRunArtifactsResponse,
    ListTaskNodesResponse,
    RunProgress,
    TaskArtifact,
    TaskAttempt,
    TaskDetail,
    TaskNode,
)
from headrace.service import task_tree
from headrace.store.records import ArtifactRecord, TaskRecord

router = APIRouter(tags=["TaskService"])


@router.get(
    "/runs/{run_id}/tasks", response_model=ListTaskNodesResponse, response_model_exclude_none=True
)
def list_tasks(
    context: Context,
    run_id: str,
    parent_id: str | None = None,
    state: Annotated[list[str] | None, Query()] = None,
    page_size: int | None = None,
    page_token: str | None = None,
) -> ListTaskNodesResponse:
    """One page of a task's children (without `parent_id`: the root task), optionally by state."""
    level = task_tree.task_level(
        context.store,
        run_id,
        parent_id or None,
        states=state or (),
        page_token=page_token,
        page_size=page_size,
    )
    return ListTaskNodesResponse(
        tasks=[_node(t, level.child_states.get(t.id)) for t in level.tasks],
        total_size=level.total_size,
        next_page_token=level.next_page_token,
    )


@router.get(
    "/runs/{run_id}/tasks/{task_id}", response_model=TaskDetail, response_model_exclude_none=True
)
def get_task(context: Context, run_id: str, task_id: str) -> TaskDetail:
    """A task with its parameters, artifacts, attempts, cache status and command."""
    found = task_tree.task_details(context.store, run_id, task_id)
    task = found.task
    return TaskDetail(
        task=_node(task, found.child_states),
        inputs=task.inputs,
        outputs=task.outputs,
        input_artifacts=[
            _artifact(e.key, e.artifact) for e in found.events if e.direction == "INPUT"
        ],
        output_artifacts=[
            _artifact(e.key, e.artifact) for e in found.events if e.direction == "OUTPUT"
        ],
        attempts=[
            TaskAttempt(
                number=a.number,
                state=a.state.value,
                exit_code=a.exit_code,
                error=a.error,
                started_at=a.started_at,
                finished_at=a.finished_at,
            )
            for a in found.attempts
        ],
        cache_fingerprint=task.cache_fingerprint,
        cached_from_task_id=task.cached_from_task_id,
        image=task.image,
        command=task.command,
    )


@router.get("/runs/{run_id}/progress", response_model=RunProgress, response_model_exclude_none=True)
def get_progress(context: Context, run_id: str) -> RunProgress:
    """The run's state and how many of its leaf tasks are in each state."""
    run, counts = task_tree.run_progress(context.store, run_id)
    return RunProgress(
        run_id=run.id,
        state=run.state.value,
        finished_at=run.finished_at,
        task_states=counts,
        error=run.error,
    )


@router.get(
    "/runs/{run_id}/artifacts",
    response_model=ListRunArtifactsResponse,
    response_model_exclude_none=True,
)
def list_run_artifacts(context: Context, run_id: str) -> ListRunArtifactsResponse:
    """The artifacts a run's tasks output (cache hits too), with their metadata: the metrics
    that comparisons show."""
    found = task_tree.run_outputs(context.store, run_id)
    return ListRunArtifactsResponse(artifacts=[_artifact(e.key, e.artifact) for e in found])


def _node(task: TaskRecord, child_states: dict[str, int] | None) -> TaskNode:
    return TaskNode(
        task_id=task.id,
        parent_task_id=task.parent_id,
        name=task.name,
        path=task.path,
        kind=task.kind.value,
        component_name=task.component_name,
        state=task.state.value,
        iteration_index=task.iteration_index,
        iteration_count=task.iteration_count,
        attempt_count=task.attempt_count,
        created_at=task.created_at,
        started_at=task.started_at,
        finished_at=task.finished_at,
        error=task.error,
        child_states=child_states,
    )


def _artifact(key: str, artifact: ArtifactRecord) -> TaskArtifact:
    return TaskArtifact(
        key=key,
        artifact_id=artifact.id,
        name=artifact.name,
        type=artifact.schema_title,
        uri=artifact.uri,
        metadata=artifact.metadata,
        producer_task_id=artifact.producer_task_id,
    )
