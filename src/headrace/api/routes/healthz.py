"""HealthzService."""

from __future__ import annotations

from fastapi import APIRouter

from headrace.api._context import Context
from headrace.api.schemas.healthz import GetHealthzResponse

router = APIRouter(tags=["HealthzService"])


@router.get("/healthz", response_model=GetHealthzResponse)
def get_healthz(context: Context) -> GetHealthzResponse:
    """Whether the server answers, and what it is (Kubeflow's shape, single-user)."""
    return GetHealthzResponse(
        commit_sha="",
        tag_name=context.version,
        multi_user=False,
        pipeline_store="database",
    )
