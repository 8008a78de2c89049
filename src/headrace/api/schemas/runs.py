"""Runs and their task details (v2beta1 run.proto, runtime_config.proto)."""

from __future__ import annotations

from typing import Any, Literal

from headrace.api.schemas.common import ApiModel, Int64, Status, Timestamp
from headrace.api.schemas.experiments import StorageState

RuntimeState = Literal[
    "RUNTIME_STATE_UNSPECIFIED",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "SKIPPED",
    "FAILED",
    "CANCELING",
    "CANCELED",
    "PAUSED",
]


class PipelineVersionReference(ApiModel):
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None


class RuntimeConfig(ApiModel):
    parameters: dict[str, Any] | None = None
    pipeline_root: str | None = None


class RuntimeStatus(ApiModel):
    update_time: Timestamp | None = None
    state: RuntimeState | None = None
    error: Status | None = None


class ArtifactList(ApiModel):
    artifact_ids: list[str] | None = None


class ChildTask(ApiModel):
    task_id: str | None = None
    pod_name: str | None = None


class PipelineTaskExecutorDetail(ApiModel):
    main_job: str | None = None
    pre_caching_check_job: str | None = None
    failed_main_jobs: list[str] | None = None
    failed_pre_caching_check_jobs: list[str] | None = None


class PipelineTaskDetail(ApiModel):
    run_id: str | None = None
    task_id: str | None = None
    display_name: str | None = None
    create_time: Timestamp | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    executor_detail: PipelineTaskExecutorDetail | None = None
    state: RuntimeState | None = None
    execution_id: Int64 | None = None
    error: Status | None = None
    inputs: dict[str, ArtifactList] | None = None
    outputs: dict[str, ArtifactList] | None = None
    parent_task_id: str | None = None
    state_history: list[RuntimeStatus] | None = None
    pod_name: str | None = None
    child_tasks: list[ChildTask] | None = None


class RunDetails(ApiModel):
    pipeline_context_id: Int64 | None = None
    pipeline_run_context_id: Int64 | None = None
    task_details: list[PipelineTaskDetail] | None = None


class Run(ApiModel):
    experiment_id: str | None = None
    run_id: str | None = None
    display_name: str | None = None
    storage_state: StorageState | None = None
    description: str | None = None
    pipeline_version_id: str | None = None
    # The IR, or {"pipeline_spec": IR, "platform_spec": ...}.
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReference | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: str | None = None
    created_at: Timestamp | None = None
    scheduled_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    state: RuntimeState | None = None
    error: Status | None = None
    run_details: RunDetails | None = None
    recurring_run_id: str | None = None
    state_history: list[RuntimeStatus] | None = None
    plugins_input: dict[str, Any] | None = None
    plugins_output: dict[str, Any] | None = None


class ListRunsResponse(ApiModel):
    runs: list[Run] | None = None
    total_size: int | None = None
    next_page_token: str | None = None
