"""Store records to v2beta1 messages."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from headrace.api.schemas.common import Status
from headrace.api.schemas.experiments import Experiment
from headrace.api.schemas.pipelines import Pipeline, PipelineVersion
from headrace.api.schemas.recurring_runs import (
    CronSchedule,
    PeriodicSchedule,
    RecurringRun,
    Trigger,
)
from headrace.api.schemas.runs import (
    ArtifactList,
    ChildTask,
    PipelineTaskDetail,
    PipelineVersionReference,
    Run,
    RunDetails,
    RuntimeConfig,
    RuntimeStatus,
)
from headrace.service.pipelines import spec_object
from headrace.service.run_queries import RunDetails as StoredRunDetails
from headrace.states import RunState, TaskState
from headrace.store.records import (
    ExperimentRecord,
    LineageRecord,
    PipelineRecord,
    PipelineVersionRecord,
    RecurringRunRecord,
    RunRecord,
    RunSummary,
    TaskRecord,
)

# Kubeflow has no CACHED runtime state: a cached task reports SUCCEEDED, as under Argo.
_TASK_STATES = {TaskState.CACHED: "SUCCEEDED"}
_UNKNOWN = 2


def pipeline(record: PipelineRecord) -> Pipeline:
    return Pipeline(
        pipeline_id=record.id,
        display_name=record.display_name,
        name=record.display_name,
        description=record.description or None,
        created_at=record.created_at,
        namespace=record.namespace,
    )


def pipeline_version(record: PipelineVersionRecord, with_spec: bool = True) -> PipelineVersion:
    return PipelineVersion(
        pipeline_id=record.pipeline_id,
        pipeline_version_id=record.id,
        display_name=record.display_name,
        name=record.display_name,
        description=record.description or None,
        created_at=record.created_at,
        pipeline_spec=spec_object(record.pipeline_spec, record.platform_spec)
        if with_spec
        else None,
    )


def experiment(record: ExperimentRecord) -> Experiment:
    return Experiment(
        experiment_id=record.id,
        display_name=record.display_name,
        description=record.description or None,
        created_at=record.created_at,
        namespace=record.namespace,
        storage_state=record.storage_state.value,
        last_run_created_at=record.last_run_created_at,
    )


def run(
    record: RunRecord | RunSummary,
    pipeline_id: str | None,
    details: StoredRunDetails | None = None,
) -> Run:
    """A run; with its pipeline spec unless a summary, with every task when `details`."""
    reference = None
    if record.pipeline_version_id:
        reference = PipelineVersionReference(
            pipeline_id=pipeline_id, pipeline_version_id=record.pipeline_version_id
        )
    spec = None
    if isinstance(record, RunRecord):
        spec = spec_object(record.pipeline_spec, record.platform_spec)
    return Run(
        experiment_id=record.experiment_id,
        run_id=record.id,
        display_name=record.display_name,
        storage_state=record.storage_state.value,
        pipeline_version_id=record.pipeline_version_id,
        pipeline_spec=spec,
        pipeline_version_reference=reference,
        runtime_config=RuntimeConfig(
            parameters=record.parameters, pipeline_root=record.pipeline_root
        ),
        created_at=record.created_at,
        scheduled_at=record.scheduled_at or record.created_at,
        finished_at=record.finished_at,
        state=record.state.value,
        error=_status(record.error),
        run_details=None if details is None else _run_details(details),
        recurring_run_id=record.recurring_run_id,
        state_history=_run_history(record),
    )


def _status(message: str | None) -> Status | None:
    return None if not message else Status(code=_UNKNOWN, message=message)


def _run_history(record: RunRecord | RunSummary) -> list[RuntimeStatus]:
    history = [RuntimeStatus(update_time=record.created_at, state="PENDING")]
    if record.started_at is not None:
        history.append(RuntimeStatus(update_time=record.started_at, state="RUNNING"))
    if (record.finished_at is not None and record.state.is_final) or record.state not in (
        RunState.PENDING,
        RunState.RUNNING,
    ):
        history.append(RuntimeStatus(update_time=record.finished_at, state=record.state.value))
    return history


def _run_details(details: StoredRunDetails) -> RunDetails:
    children: dict[str, list[str]] = defaultdict(list)
    for task in details.tasks:
        if task.parent_id is not None:
            children[task.parent_id].append(task.id)
    return RunDetails(
        task_details=[
            _task(t, children.get(t.id, []), details.events.get(t.id, [])) for t in details.tasks
        ]
    )


def _task(task: TaskRecord, children: list[str], events: list[LineageRecord]) -> PipelineTaskDetail:
    state = _TASK_STATES.get(task.state, task.state.value)
    return PipelineTaskDetail(
        run_id=task.run_id,
        task_id=task.id,
        display_name=task.name or None,
        create_time=task.created_at,
        start_time=task.started_at,
        end_time=task.finished_at,
        state=state,
        error=_status(task.error),
        inputs=_artifacts(events, "INPUT"),
        outputs=_artifacts(events, "OUTPUT"),
        parent_task_id=task.parent_id,
        state_history=_task_history(task, state),
        child_tasks=[ChildTask(task_id=c) for c in children] or None,
    )


def _artifacts(events: list[LineageRecord], direction: str) -> dict[str, ArtifactList] | None:
    grouped: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event.direction == direction:
            grouped[event.key].append(event.artifact.id)
    return {k: ArtifactList(artifact_ids=v) for k, v in grouped.items()} or None


def _task_history(task: TaskRecord, state: str) -> list[RuntimeStatus]:
    moments: list[tuple[datetime | None, str]] = [(task.created_at, "PENDING")]
    if task.started_at is not None:
        moments.append((task.started_at, "RUNNING"))
    if task.state.is_final:
        moments.append((task.finished_at or task.started_at or task.created_at, state))
    return [RuntimeStatus(update_time=t, state=s) for t, s in moments]


def recurring_run(record: RecurringRunRecord) -> RecurringRun:
    if record.cron_schedule is not None:
        trigger = Trigger(
            cron_schedule=CronSchedule(
                start_time=record.start_time, end_time=record.end_time, cron=record.cron_schedule
            )
        )
    else:
        trigger = Trigger(
            periodic_schedule=PeriodicSchedule(
                start_time=record.start_time,
                end_time=record.end_time,
                interval_second=record.interval_seconds,
            )
        )
    reference = None
    if record.pipeline_id or record.pipeline_version_id:
        reference = PipelineVersionReference(
            pipeline_id=record.pipeline_id, pipeline_version_id=record.pipeline_version_id
        )
    spec = None
    if record.pipeline_spec is not None:
        spec = spec_object(record.pipeline_spec, record.platform_spec)
    return RecurringRun(
        recurring_run_id=record.id,
        display_name=record.display_name,
        description=record.description or None,
        pipeline_spec=spec,
        pipeline_version_reference=reference,
        runtime_config=RuntimeConfig(
            parameters=record.parameters, pipeline_root=record.pipeline_root
        ),
        max_concurrency=record.max_concurrency,
        trigger=trigger,
        mode="ENABLE" if record.enabled else "DISABLE",
        created_at=record.created_at,
        updated_at=record.updated_at,
        status="ENABLED" if record.enabled else "DISABLED",
        error=_status(record.error),
        no_catchup=record.no_catchup,
        namespace=record.namespace,
        experiment_id=record.experiment_id,
    )
