"""ExperimentService."""

from __future__ import annotations

from fastapi import APIRouter

from headrace.api import _views
from headrace.api._context import Context, PageQuery, namespace_of
from headrace.api.schemas.common import Empty
from headrace.api.schemas.experiments import Experiment, ListExperimentsResponse
from headrace.errors import InvalidArgumentError

router = APIRouter(tags=["ExperimentService"])


@router.post("/experiments", response_model=Experiment, response_model_exclude_none=True)
def create_experiment(context: Context, body: Experiment) -> Experiment:
    """Create an experiment; its name must be new in its namespace (409 otherwise)."""
    name = (body.display_name or "").strip()
    if not name:
        raise InvalidArgumentError("missing field 'display_name'", "name the experiment")
    record = context.store.create_experiment(
        namespace_of(body.namespace), name, body.description or ""
    )
    return _views.experiment(record)


@router.get(
    "/experiments", response_model=ListExperimentsResponse, response_model_exclude_none=True
)
def list_experiments(context: Context, query: PageQuery) -> ListExperimentsResponse:
    """One page of experiments; sortable by `last_run_created_at` too."""
    page = context.store.list_experiments(query)
    return ListExperimentsResponse(
        experiments=[_views.experiment(e) for e in page.items] or None,
        total_size=page.total_size,
        next_page_token=page.next_page_token,
    )


@router.get(
    "/experiments/{experiment_id}", response_model=Experiment, response_model_exclude_none=True
)
def get_experiment(context: Context, experiment_id: str) -> Experiment:
    return _views.experiment(context.store.get_experiment(experiment_id))


@router.post("/experiments/{experiment_id}:archive", response_model=Empty)
def archive_experiment(context: Context, experiment_id: str) -> Empty:
    """Archive the experiment and its runs, and disable its recurring runs."""
    context.store.archive_experiment(experiment_id)
    return Empty()


@router.post("/experiments/{experiment_id}:unarchive", response_model=Empty)
def unarchive_experiment(context: Context, experiment_id: str) -> Empty:
    context.store.unarchive_experiment(experiment_id)
    return Empty()


@router.delete("/experiments/{experiment_id}", response_model=Empty)
def delete_experiment(context: Context, experiment_id: str) -> Empty:
    """Delete the experiment; its runs stay, archived and without an experiment."""
    context.store.delete_experiment(experiment_id)
    return Empty()
