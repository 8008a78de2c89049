"""RecurringRunService."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter

from headrace.api import _views
from headrace.api._context import Context, PageQuery, namespace_of
from headrace.api.schemas.common import Empty
from headrace.api.schemas.recurring_runs import ListRecurringRunsResponse, RecurringRun
from headrace.errors import InvalidArgumentError
from headrace.service.recurring import RecurringRunRequest, create_recurring_run

router = APIRouter(tags=["RecurringRunService"])


@router.post("/recurringruns", response_model=RecurringRun, response_model_exclude_none=True)
def create(context: Context, body: RecurringRun) -> RecurringRun:
    """Create a schedule; a reference without a version id runs the latest version each time."""
    trigger = body.trigger
    if trigger is None or (trigger.cron_schedule is None) == (trigger.periodic_schedule is None):
        raise InvalidArgumentError(
            "recurring run needs exactly one of trigger.cron_schedule and trigger.periodic_schedule"
        )
    schedule = trigger.cron_schedule or trigger.periodic_schedule
    assert schedule is not None
    cron = trigger.cron_schedule.cron if trigger.cron_schedule else None
    interval = trigger.periodic_schedule.interval_second if trigger.periodic_schedule else None
    if trigger.cron_schedule is not None and not (cron or "").strip():
        raise InvalidArgumentError("missing field 'trigger.cron_schedule.cron'")
    if trigger.periodic_schedule is not None and interval is None:
        raise InvalidArgumentError("missing field 'trigger.periodic_schedule.interval_second'")
    reference = body.pipeline_version_reference
    config = body.runtime_config
    request = RecurringRunRequest(
        display_name=(body.display_name or "").strip(),
        namespace=namespace_of(body.namespace),
        description=body.description or "",
        experiment_id=body.experiment_id or None,
        pipeline_spec=body.pipeline_spec,
        pipeline_id=reference.pipeline_id if reference else None,
        pipeline_version_id=(
            reference.pipeline_version_id if reference else body.pipeline_version_id
        )
        or None,
        parameters=dict(config.parameters or {}) if config else {},
        pipeline_root=config.pipeline_root if config else None,
        cron=cron,
        interval_seconds=interval,
        start_time=schedule.start_time,
        end_time=schedule.end_time,
        max_concurrency=body.max_concurrency if body.max_concurrency is not None else 1,
        no_catchup=bool(body.no_catchup),
        enabled=body.mode != "DISABLE",
    )
    return _views.recurring_run(create_recurring_run(context.store, request))


@router.get(
    "/recurringruns", response_model=ListRecurringRunsResponse, response_model_exclude_none=True
)
def list_recurring_runs(
    context: Context, query: PageQuery, experiment_id: str | None = None
) -> ListRecurringRunsResponse:
    if experiment_id:
        query = replace(query, namespace=None)
    page = context.store.list_recurring_runs(query, experiment_id=experiment_id or None)
    return ListRecurringRunsResponse(
        recurring_runs=[_views.recurring_run(r) for r in page.items] or None,
        total_size=page.total_size,
        next_page_token=page.next_page_token,
    )


@router.get(
    "/recurringruns/{recurring_run_id}",
    response_model=RecurringRun,
    response_model_exclude_none=True,
)
def get_recurring_run(context: Context, recurring_run_id: str) -> RecurringRun:
    return _views.recurring_run(context.store.get_recurring_run(recurring_run_id))


@router.post("/recurringruns/{recurring_run_id}:enable", response_model=Empty)
def enable_recurring_run(context: Context, recurring_run_id: str) -> Empty:
    context.store.enable_recurring_run(recurring_run_id)
    return Empty()


@router.post("/recurringruns/{recurring_run_id}:disable", response_model=Empty)
def disable_recurring_run(context: Context, recurring_run_id: str) -> Empty:
    context.store.disable_recurring_run(recurring_run_id)
    return Empty()


@router.delete("/recurringruns/{recurring_run_id}", response_model=Empty)
def delete_recurring_run(context: Context, recurring_run_id: str) -> Empty:
    """Delete the schedule; the runs it created stay."""
    context.store.delete_recurring_run(recurring_run_id)
    return Empty()
