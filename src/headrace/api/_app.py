"""The FastAPI application: the Kubeflow v2beta1 REST API over a Store."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from headrace.api._context import ApiContext
from headrace.api._errors import BodyLimit, install_error_handlers
from headrace.api.routes import (
    artifacts,
    experiments,
    healthz,
    logs,
    namespaces,
    pipelines,
    recurring_runs,
    runs,
    tasks,
)
from headrace.config import Settings
from headrace.store import Store

PREFIX = "/apis/v2beta1"
MAX_BODY_BYTES = 32 * 1024 * 1024


def create_app(
    store: Store,
    *,
    home: Path,
    pipeline_root: str,
    version: str,
    max_body_bytes: int = MAX_BODY_BYTES,
    settings: Settings | None = None,
) -> FastAPI:
    """The v2beta1 API (as `kfp.Client` calls it) over `store`; OpenAPI at /openapi.json."""
    app = FastAPI(
        title="Headrace",
        description="The Kubeflow Pipelines v2beta1 REST API, served by Headrace.",
        version=version,
    )
    if settings is None:
        settings = Settings.model_validate({"home": home, "pipeline_root": pipeline_root})
    app.state.context = ApiContext(
        store=store,
        home=Path(home),
        pipeline_root=pipeline_root,
        version=version,
        settings=settings,
    )
    install_error_handlers(app)
    for module in (
        healthz,
        pipelines,
        experiments,
        runs,
        tasks,
        logs,
        artifacts,
        recurring_runs,
        namespaces,
    ):
        app.include_router(module.router, prefix=PREFIX)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    return app
