"""Use cases around recurring runs: check a schedule and its pipeline, then store it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headrace.errors import InvalidArgumentError
from headrace.service.run_submission import RunSubmission, resolve_source
from headrace.service.triggers import validate_cron, validate_interval
from headrace.spec.params import resolve_parameters
from headrace.store import Store
from headrace.store.records import DEFAULT_NAMESPACE, NewRecurringRun, RecurringRunRecord


@dataclass(frozen=True)
class RecurringRunRequest:
    display_name: str
    namespace: str | None = None
    description: str = ""
    experiment_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    pipeline_root: str | None = None
    cron: str | None = None
    interval_seconds: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    max_concurrency: int = 1
    no_catchup: bool = False
    enabled: bool = True


def create_recurring_run(store: Store, request: RecurringRunRequest) -> RecurringRunRecord:
    """Check the trigger and the pipeline (and its parameters when pinned), then store it.

    A schedule on a pipeline without a version id runs the pipeline's latest version at each
    trigger, so its parameters are checked against that version when it fires.
    """
    if not request.display_name.strip():
        raise InvalidArgumentError("recurring run has no display_name", "give it a name")
    if request.cron is not None:
        validate_cron(request.cron, "trigger.cron_schedule.cron")
    if request.interval_seconds is not None:
        validate_interval(request.interval_seconds, "trigger.periodic_schedule.interval_second")
    submission = RunSubmission(
        display_name=request.display_name,
        pipeline_spec=request.pipeline_spec,
        pipeline_id=request.pipeline_id,
        pipeline_version_id=request.pipeline_version_id,
    )
    source = resolve_source(store, submission)
    parameters = dict(request.parameters)
    pinned = request.pipeline_spec is not None or request.pipeline_version_id
    if pinned:
        # Typed now so that a bad parameter fails at creation, not at every trigger.
        resolve_parameters(source.pipeline.spec, parameters)
    namespace = request.namespace or DEFAULT_NAMESPACE
    if request.experiment_id:
        namespace = store.get_experiment(request.experiment_id).namespace
    new = NewRecurringRun(
        display_name=request.display_name,
        namespace=namespace,
        description=request.description,
        experiment_id=request.experiment_id,
        pipeline_id=request.pipeline_id,
        pipeline_version_id=request.pipeline_version_id,
        pipeline_spec=None if request.pipeline_spec is None else source.pipeline.spec_dict(),
        platform_spec=None if request.pipeline_spec is None else source.pipeline.platform_dict(),
        parameters=parameters,
        pipeline_root=request.pipeline_root,
        cron_schedule=request.cron,
        interval_seconds=request.interval_seconds,
        start_time=request.start_time,
        end_time=request.end_time,
        max_concurrency=request.max_concurrency,
        no_catchup=request.no_catchup,
        enabled=request.enabled,
    )
    # `next_fire_at` stays the store's default, now: a start time in the past is backfilled at
    # once, and the scheduler plans the first trigger of a later one on its next tick.
    return store.create_recurring_run(new)
