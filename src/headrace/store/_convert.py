"""Rows to records: the only place that knows both shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from headrace.states import AttemptState, RunState, TaskKind, TaskState
from headrace.store._schema import (
    ArtifactRow,
    AttemptRow,
    ExperimentRow,
    PipelineRow,
    PipelineVersionRow,
    RecurringRunRow,
    RunRow,
    TaskRow,
)
from headrace.store.records import (
    ArtifactRecord,
    AttemptProcess,
    AttemptRecord,
    ExperimentRecord,
    PipelineRecord,
    PipelineVersionRecord,
    RecurringRunRecord,
    RunRecord,
    RunSummary,
    StorageState,
    TaskRecord,
)


def run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        namespace=row.namespace,
        experiment_id=row.experiment_id,
        pipeline_version_id=row.pipeline_version_id,
        display_name=row.display_name,
        pipeline_name=row.pipeline_name,
        pipeline_spec=row.pipeline_spec,
        platform_spec=row.platform_spec,
        parameters=row.parameters,
        pipeline_root=row.pipeline_root,
        cache_enabled=row.cache_enabled,
        state=RunState(row.state),
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        storage_state=StorageState(row.storage_state),
        recurring_run_id=row.recurring_run_id,
        scheduled_at=row.scheduled_at,
        claimed_by=row.claimed_by,
        lease_expires_at=row.lease_expires_at,
    )


def run_summary(row: RunRow) -> RunSummary:
    """Touches no spec column, so that lists can leave them unloaded."""
    return RunSummary(
        id=row.id,
        namespace=row.namespace,
        experiment_id=row.experiment_id,
        pipeline_version_id=row.pipeline_version_id,
        display_name=row.display_name,
        pipeline_name=row.pipeline_name,
        parameters=row.parameters,
        pipeline_root=row.pipeline_root,
        cache_enabled=row.cache_enabled,
        state=RunState(row.state),
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        storage_state=StorageState(row.storage_state),
        recurring_run_id=row.recurring_run_id,
        scheduled_at=row.scheduled_at,
    )


def new_task_record(values: dict[str, Any]) -> TaskRecord:
    """The record of a task just inserted with these column values."""
    fields = {name: values[name] for name in TaskRecord.__dataclass_fields__}
    fields["kind"] = TaskKind(values["kind"])
    fields["state"] = TaskState(values["state"])
    return TaskRecord(**fields)


def task_record(row: TaskRow | Row[Any]) -> TaskRecord:
    """From an ORM row or a plain result row of the tasks table."""
    return TaskRecord(
        id=row.id,
        run_id=row.run_id,
        parent_id=row.parent_id,
        name=row.name,
        path=row.path,
        kind=TaskKind(row.kind),
        component_name=row.component_name,
        iteration_index=row.iteration_index,
        iteration_count=row.iteration_count,
        state=TaskState(row.state),
        inputs=row.inputs,
        outputs=row.outputs,
        error=row.error,
        cache_fingerprint=row.cache_fingerprint,
        cached_from_task_id=row.cached_from_task_id,
        image=row.image,
        command=row.command,
        attempt_count=row.attempt_count,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def attempt_record(row: AttemptRow) -> AttemptRecord:
    return AttemptRecord(
        id=row.id,
        task_id=row.task_id,
        run_id=row.run_id,
        number=row.number,
        state=AttemptState(row.state),
        exit_code=row.exit_code,
        log_path=row.log_path,
        log_uri=row.log_uri,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        process=attempt_process(row),
    )


def attempt_process(row: Any) -> AttemptProcess | None:
    """The recorded process of an attempt row (ORM or plain), None when none was reported."""
    if row.process_id is None:
        return None
    return AttemptProcess(row.process_host, row.process_id, row.process_group, row.process_start)


def artifact_record(row: ArtifactRow) -> ArtifactRecord:
    return ArtifactRecord(
        id=row.id,
        run_id=row.run_id,
        name=row.name,
        uri=row.uri,
        schema_title=row.schema_title,
        schema_version=row.schema_version,
        metadata=row.metadata_,
        producer_task_id=row.producer_task_id,
        created_at=row.created_at,
    )


def pipeline_record(row: PipelineRow) -> PipelineRecord:
    return PipelineRecord(
        id=row.id,
        namespace=row.namespace,
        display_name=row.display_name,
        description=row.description,
        created_at=row.created_at,
    )


def pipeline_version_record(row: PipelineVersionRow) -> PipelineVersionRecord:
    return PipelineVersionRecord(
        id=row.id,
        pipeline_id=row.pipeline_id,
        display_name=row.display_name,
        description=row.description,
        created_at=row.created_at,
        pipeline_spec=row.pipeline_spec,
        platform_spec=row.platform_spec,
    )


def experiment_record(row: ExperimentRow) -> ExperimentRecord:
    return ExperimentRecord(
        id=row.id,
        namespace=row.namespace,
        display_name=row.display_name,
        description=row.description,
        created_at=row.created_at,
        storage_state=StorageState(row.storage_state),
        last_run_created_at=row.last_run_created_at,
    )


def recurring_run_record(row: RecurringRunRow) -> RecurringRunRecord:
    return RecurringRunRecord(
        id=row.id,
        namespace=row.namespace,
        display_name=row.display_name,
        description=row.description,
        experiment_id=row.experiment_id,
        pipeline_id=row.pipeline_id,
        pipeline_version_id=row.pipeline_version_id,
        pipeline_spec=row.pipeline_spec,
        platform_spec=row.platform_spec,
        parameters=row.parameters,
        pipeline_root=row.pipeline_root,
        cron_schedule=row.cron_schedule,
        interval_seconds=row.interval_seconds,
        start_time=row.start_time,
        end_time=row.end_time,
        max_concurrency=row.max_concurrency,
        no_catchup=row.no_catchup,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        next_fire_at=row.next_fire_at,
        last_fire_at=row.last_fire_at,
        error=row.error,
    )
