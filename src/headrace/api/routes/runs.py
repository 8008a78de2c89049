"""RunService."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter

from headrace.api import _views
from headrace.api._context import Context, PageQuery
from headrace.api.schemas.common import Empty
from headrace.api.schemas.runs import ListRunsResponse, Run
from headrace.service import run_queries
from headrace.service.run_submission import RunSubmission, submit_run

router = APIRouter(tags=["RunService"])


@router.post("/runs", response_model=Run, response_model_exclude_none=True)
def create_run(context: Context, body: Run, experiment_id: str | None = None) -> Run:
    """Store a PENDING run for a worker: from `pipeline_spec` or `pipeline_version_reference`."""
    reference = body.pipeline_version_reference
    config = body.runtime_config
    submission = RunSubmission(
        display_name=(body.display_name or "").strip(),
        experiment_id=body.experiment_id or experiment_id,
        pipeline_spec=body.pipeline_spec,
        pipeline_id=None if reference is None else reference.pipeline_id,
        pipeline_version_id=(
            reference.pipeline_version_id if reference is not None else body.pipeline_version_id
        ),
        parameters=dict(config.parameters or {}) if config else {},
        pipeline_root=config.pipeline_root if config else None,
    )
    record = submit_run(context.store, submission, context.namespaces)
    return _views.run(record, reference.pipeline_id if reference else None)


@router.get("/runs", response_model=ListRunsResponse, response_model_exclude_none=True)
def list_runs(
    context: Context,
    query: PageQuery,
    experiment_id: str | None = None,
) -> ListRunsResponse:
    """One page of runs of an experiment, or of a namespace (without their specs and tasks)."""
    if experiment_id:
        # The experiment decides the namespace, as in Kubeflow.
        query = replace(query, namespace=None)
    page = context.store.list_runs_page(query, experiment_id=experiment_id or None)
    pipelines = run_queries.pipeline_ids(context.store, (r.pipeline_version_id for r in page.items))
    return ListRunsResponse(
        runs=[_views.run(r, pipelines.get(r.pipeline_version_id or "")) for r in page.items]
        or None,
        total_size=page.total_size,
        next_page_token=page.next_page_token,
    )


@router.get("/runs/{run_id}", response_model=Run, response_model_exclude_none=True)
def get_run(context: Context, run_id: str, view: str | None = None) -> Run:
    """A run with its pipeline spec and `run_details.task_details` (not with `view=BASIC`)."""
    if view == "BASIC":
        # Headrace addition: views of runs with thousands of tasks read those by level.
        record = run_queries.get_run(context.store, run_id)
        versions = run_queries.pipeline_ids(context.store, [record.pipeline_version_id])
        return _views.run(record, versions.get(record.pipeline_version_id or ""))
    details = run_queries.run_details(context.store, run_id)
    return _views.run(details.run, details.pipeline_id, details)


@router.post("/runs/{run_id}:terminate", response_model=Empty)
def terminate_run(context: Context, run_id: str) -> Empty:
    """Stop a run: its worker sees CANCELING and stops its tasks; a queued run ends CANCELED."""
    run_queries.terminate_run(context.store, run_id)
    return Empty()


@router.post("/runs/{run_id}:retry", response_model=Empty)
def retry_run(context: Context, run_id: str) -> Empty:
    """Run again what failed or did not run in a FAILED or CANCELED run."""
    run_queries.retry_run(context.store, run_id)
    return Empty()


@router.post("/runs/{run_id}:archive", response_model=Empty)
def archive_run(context: Context, run_id: str) -> Empty:
    run_queries.get_run(context.store, run_id)
    context.store.archive_run(run_id)
    return Empty()


@router.post("/runs/{run_id}:unarchive", response_model=Empty)
def unarchive_run(context: Context, run_id: str) -> Empty:
    run_queries.get_run(context.store, run_id)
    context.store.unarchive_run(run_id)
    return Empty()


@router.delete("/runs/{run_id}", response_model=Empty)
def delete_run(context: Context, run_id: str) -> Empty:
    run = run_queries.get_run(context.store, run_id)
    run_queries.delete_run(context.store, context.home, run)
    return Empty()
