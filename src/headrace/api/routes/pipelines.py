"""PipelineService and PipelineUploadService: pipelines, versions and their specs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from headrace.api import _views
from headrace.api._context import Context, PageQuery, namespace_of
from headrace.api.schemas.common import Empty
from headrace.api.schemas.pipelines import (
    CreatePipelineAndVersionRequest,
    ListPipelinesResponse,
    ListPipelineVersionsResponse,
    Pipeline,
    PipelineVersion,
)
from headrace.errors import InvalidArgumentError, NotFoundError
from headrace.service import pipelines as service
from headrace.store.records import PipelineVersionRecord

router = APIRouter(tags=["PipelineService"])
Upload = Annotated[UploadFile, File(description="The compiled pipeline: YAML, JSON, .tar.gz, .zip")]


@router.post("/pipelines/upload", response_model=Pipeline, response_model_exclude_none=True)
def upload_pipeline(
    context: Context,
    uploadfile: Upload,
    name: str | None = None,
    display_name: str | None = None,
    description: str | None = None,
    namespace: str | None = None,
) -> Pipeline:
    """Upload a compiled pipeline as a new pipeline with its first version."""
    loaded = service.load_package(uploadfile.file.read(), uploadfile.filename or "uploadfile")
    new = service.NewPipeline(
        namespace=namespace_of(namespace),
        display_name=display_name or name,
        description=description or "",
    )
    record, _ = service.create_pipeline_with_version(context.store, new, loaded)
    return _views.pipeline(record)


@router.post(
    "/pipelines/upload_version", response_model=PipelineVersion, response_model_exclude_none=True
)
def upload_pipeline_version(
    context: Context,
    uploadfile: Upload,
    pipelineid: str | None = None,
    name: str | None = None,
    display_name: str | None = None,
    description: str | None = None,
) -> PipelineVersion:
    """Upload a compiled pipeline as a new version of the pipeline `pipelineid`."""
    if not pipelineid:
        raise InvalidArgumentError("missing query parameter 'pipelineid'", "give the pipeline id")
    loaded = service.load_package(uploadfile.file.read(), uploadfile.filename or "uploadfile")
    version = service.create_version(
        context.store, pipelineid, display_name or name, description or "", loaded
    )
    return _views.pipeline_version(version)


@router.post("/pipelines", response_model=Pipeline, response_model_exclude_none=True)
def create_pipeline(context: Context, body: Pipeline) -> Pipeline:
    """Create a pipeline without versions."""
    name = (body.display_name or body.name or "").strip()
    if not name:
        raise InvalidArgumentError("missing field 'display_name'", "name the pipeline")
    record = context.store.create_pipeline(
        namespace_of(body.namespace), name, body.description or ""
    )
    return _views.pipeline(record)


@router.post("/pipelines/create", response_model=Pipeline, response_model_exclude_none=True)
def create_pipeline_and_version(
    context: Context, body: CreatePipelineAndVersionRequest
) -> Pipeline:
    """Create a pipeline and its first version from a spec, in one step."""
    version = body.pipeline_version
    loaded = service.load_spec_object(_spec_of(version), "pipeline_version.pipeline_spec")
    new = service.NewPipeline(
        namespace=namespace_of(body.pipeline.namespace),
        display_name=body.pipeline.display_name or body.pipeline.name,
        description=body.pipeline.description or "",
        version_display_name=version.display_name or version.name,
        version_description=version.description,
    )
    record, _ = service.create_pipeline_with_version(context.store, new, loaded)
    return _views.pipeline(record)


@router.get("/pipelines", response_model=ListPipelinesResponse, response_model_exclude_none=True)
def list_pipelines(context: Context, query: PageQuery) -> ListPipelinesResponse:
    page = context.store.list_pipelines(query)
    return ListPipelinesResponse(
        pipelines=[_views.pipeline(p) for p in page.items] or None,
        total_size=page.total_size,
        next_page_token=page.next_page_token,
    )


@router.get("/pipelines/names/{name}", response_model=Pipeline, response_model_exclude_none=True)
def get_pipeline_by_name(context: Context, name: str, namespace: str | None = None) -> Pipeline:
    found = context.store.find_pipeline(namespace_of(namespace), name)
    if found is None:
        raise NotFoundError(f"pipeline named {name!r} not found in {namespace_of(namespace)!r}")
    return _views.pipeline(found)


@router.get("/pipelines/{pipeline_id}", response_model=Pipeline, response_model_exclude_none=True)
def get_pipeline(context: Context, pipeline_id: str) -> Pipeline:
    return _views.pipeline(context.store.get_pipeline(pipeline_id))


@router.delete("/pipelines/{pipeline_id}", response_model=Empty)
def delete_pipeline(context: Context, pipeline_id: str, cascade: bool = False) -> Empty:
    """Delete a pipeline; refused (409) while it has versions, unless `cascade`."""
    context.store.delete_pipeline(pipeline_id, cascade=cascade)
    return Empty()


@router.post(
    "/pipelines/{pipeline_id}/versions",
    response_model=PipelineVersion,
    response_model_exclude_none=True,
)
def create_pipeline_version(
    context: Context, pipeline_id: str, body: PipelineVersion
) -> PipelineVersion:
    if body.pipeline_id and body.pipeline_id != pipeline_id:
        raise InvalidArgumentError(
            f"pipeline_id {body.pipeline_id!r} in the body differs from {pipeline_id!r} in the path"
        )
    loaded = service.load_spec_object(_spec_of(body), "pipeline_version.pipeline_spec")
    version = service.create_version(
        context.store, pipeline_id, body.display_name or body.name, body.description or "", loaded
    )
    return _views.pipeline_version(version)


@router.get(
    "/pipelines/{pipeline_id}/versions",
    response_model=ListPipelineVersionsResponse,
    response_model_exclude_none=True,
)
def list_pipeline_versions(
    context: Context, pipeline_id: str, query: PageQuery
) -> ListPipelineVersionsResponse:
    page = context.store.list_pipeline_versions(pipeline_id, query)
    return ListPipelineVersionsResponse(
        pipeline_versions=[_views.pipeline_version(v) for v in page.items] or None,
        total_size=page.total_size,
        next_page_token=page.next_page_token,
    )


@router.get(
    "/pipelines/{pipeline_id}/versions/{pipeline_version_id}",
    response_model=PipelineVersion,
    response_model_exclude_none=True,
)
def get_pipeline_version(
    context: Context, pipeline_id: str, pipeline_version_id: str
) -> PipelineVersion:
    return _views.pipeline_version(_version(context, pipeline_id, pipeline_version_id))


@router.delete("/pipelines/{pipeline_id}/versions/{pipeline_version_id}", response_model=Empty)
def delete_pipeline_version(context: Context, pipeline_id: str, pipeline_version_id: str) -> Empty:
    _version(context, pipeline_id, pipeline_version_id)
    context.store.delete_pipeline_version(pipeline_version_id)
    return Empty()


def _version(context: Context, pipeline_id: str, version_id: str) -> PipelineVersionRecord:
    version = context.store.get_pipeline_version(version_id)
    if version.pipeline_id != pipeline_id:
        raise NotFoundError(f"pipeline {pipeline_id!r} has no version {version_id!r}")
    return version


def _spec_of(version: PipelineVersion) -> object:
    if version.pipeline_spec is None:
        hint = "package_url is not supported" if version.package_url else "give the IR"
        raise InvalidArgumentError("missing field 'pipeline_version.pipeline_spec'", hint)
    return version.pipeline_spec
