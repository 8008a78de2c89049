"""Use cases around recurring runs: check a schedule and its pipeline, then store it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from headrace.errors import InvalidArgumentError
from headrace.service.cron import check_cron
from headrace.service.run_submission import RunSubmission, resolve_source
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
        check_cron(request.cron, "trigger.cron_schedule.cron")
        validate = _scheduler_function("validate_cron")
        if validate is not None:
            validate(request.cron)
    if request.interval_seconds is not None and request.interval_seconds <= 0:
        raise InvalidArgumentError(
            f"trigger.periodic_schedule.interval_second is {request.interval_seconds}",
            "give a positive number of seconds",
        )
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
    record = store.create_recurring_run(new)
    next_fire_time = _scheduler_function("next_fire_time")
    if next_fire_time is None or not record.enabled:
        return record
    store.set_recurring_fire_times(record.id, None, next_fire_time(record, datetime.now(UTC)))
    return store.get_recurring_run(record.id)


def _scheduler_function(name: str) -> Callable[..., Any] | None:
    """A function of the scheduler package, looked up late: the scheduler sits above service/."""
    try:
        scheduler = importlib.import_module("headrace.scheduler")
    except ImportError:
        return None
    found: Callable[..., Any] | None = getattr(scheduler, name, None)
    return found
