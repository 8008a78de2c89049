"""The rows of the store as plain, typed records that cross layer boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from headrace.states import AttemptState, RunState, TaskKind, TaskState

DEFAULT_NAMESPACE = "default"
DEFAULT_EXPERIMENT = "Default"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


class StorageState(StrEnum):
    """Whether a run or experiment is archived, in the words of the v2beta1 API."""

    AVAILABLE = "AVAILABLE"
    ARCHIVED = "ARCHIVED"


@dataclass(frozen=True)
class ListQuery:
    """One page request as Kubeflow's list calls take it.

    `sort_by` is "field", "field asc" or "field desc"; `filter` is the JSON of a v2beta1 Filter;
    `page_token` is the `next_page_token` of the previous page of the same query.
    """

    namespace: str | None = None
    page_size: int | None = DEFAULT_PAGE_SIZE
    page_token: str | None = None
    sort_by: str = ""
    filter: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None
    total_size: int


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
    recurring_run_id: str | None = None
    scheduled_at: datetime | None = None
    id: str | None = None  # chosen by the caller when parameters must name the run id


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
    storage_state: StorageState = StorageState.AVAILABLE
    recurring_run_id: str | None = None
    scheduled_at: datetime | None = None
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None


@dataclass(frozen=True)
class RunSummary:
    """A run without its pipeline and platform specs: what long run lists carry."""

    id: str
    namespace: str
    experiment_id: str | None
    pipeline_version_id: str | None
    display_name: str
    pipeline_name: str
    parameters: dict[str, Any]
    pipeline_root: str
    cache_enabled: bool
    state: RunState
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    storage_state: StorageState
    recurring_run_id: str | None
    scheduled_at: datetime | None


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
    log_uri: str | None = None
    """Where the log is archived when the attempt ends (None: `log_path` only)."""
    process: AttemptProcess | None = None
    """The task's process on this machine, once the executor reported it."""


@dataclass(frozen=True)
class AttemptProcess:
    """The process an attempt runs in: its host, pid, process group and start time.

    `start` is the process's start time in clock ticks after boot (/proc/<pid>/stat field 22);
    with the pid it names one process, so a pid reused by another process is never mistaken
    for the task.
    """

    host: str
    pid: int
    group: int
    start: int


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
    # None once the producing run is deleted while other runs still use the artifact.
    run_id: str | None
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


@dataclass(frozen=True)
class ArtifactLink:
    """A task (container or importer) that produced (OUTPUT) or consumed (INPUT) an artifact."""

    task_id: str
    task_name: str
    run_id: str
    namespace: str
    direction: str
    key: str
    position: int


@dataclass(frozen=True)
class PipelineRecord:
    id: str
    namespace: str
    display_name: str
    description: str
    created_at: datetime


@dataclass(frozen=True)
class PipelineVersionRecord:
    id: str
    pipeline_id: str
    display_name: str
    description: str
    created_at: datetime
    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] | None


@dataclass(frozen=True)
class ExperimentRecord:
    id: str
    namespace: str
    display_name: str
    description: str
    created_at: datetime
    storage_state: StorageState
    last_run_created_at: datetime | None


@dataclass(frozen=True)
class NewRecurringRun:
    """A schedule: exactly one of `cron_schedule` and `interval_seconds`, and exactly one source.

    The source is an inline `pipeline_spec`, or `pipeline_id` with `pipeline_version_id` (pinned)
    or without it (the pipeline's latest version at each trigger).
    """

    display_name: str
    namespace: str = DEFAULT_NAMESPACE
    description: str = ""
    experiment_id: str | None = None
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    platform_spec: dict[str, Any] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    pipeline_root: str | None = None
    cron_schedule: str | None = None
    interval_seconds: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    max_concurrency: int = 1
    no_catchup: bool = False
    enabled: bool = True
    # When the scheduler should first look at it; None means now.
    next_fire_at: datetime | None = None


@dataclass(frozen=True)
class RecurringRunRecord:
    id: str
    namespace: str
    display_name: str
    description: str
    experiment_id: str | None
    pipeline_id: str | None
    pipeline_version_id: str | None
    pipeline_spec: dict[str, Any] | None
    platform_spec: dict[str, Any] | None
    parameters: dict[str, Any]
    pipeline_root: str | None
    cron_schedule: str | None
    interval_seconds: int | None
    start_time: datetime | None
    end_time: datetime | None
    max_concurrency: int
    no_catchup: bool
    enabled: bool
    created_at: datetime
    updated_at: datetime
    next_fire_at: datetime | None
    last_fire_at: datetime | None
    error: str | None = None
    """Why the last trigger could not start its run (None once a trigger starts one)."""


@dataclass(frozen=True)
class NamespaceStorageRecord:
    """A namespace's own artifact settings; a field left None uses the global setting.

    `object_store` holds endpoint settings for the namespace's bucket (endpoint_url, region,
    path_style, use_tls, ca_bundle, timeout_seconds, max_retries, and `credentials`: the name of
    a secret in Headrace's settings), never a secret itself.
    """

    namespace: str
    pipeline_root: str | None
    key_prefix: str | None
    object_store: dict[str, Any]
    updated_at: datetime
