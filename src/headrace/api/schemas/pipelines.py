"""Pipelines and pipeline versions (v2beta1 pipeline.proto)."""

from __future__ import annotations

from typing import Any

from headrace.api.schemas.common import ApiModel, Status, Timestamp


class Pipeline(ApiModel):
    pipeline_id: str | None = None
    display_name: str | None = None
    name: str | None = None
    description: str | None = None
    created_at: Timestamp | None = None
    namespace: str | None = None
    error: Status | None = None
    tags: dict[str, str] | None = None


class Url(ApiModel):
    pipeline_url: str | None = None


class PipelineVersion(ApiModel):
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None
    display_name: str | None = None
    name: str | None = None
    description: str | None = None
    created_at: Timestamp | None = None
    package_url: Url | None = None
    code_source_url: str | None = None
    # The IR, or {"pipeline_spec": IR, "platform_spec": ...} when there is a platform spec.
    pipeline_spec: dict[str, Any] | None = None
    error: Status | None = None
    tags: dict[str, str] | None = None


class CreatePipelineAndVersionRequest(ApiModel):
    pipeline: Pipeline
    pipeline_version: PipelineVersion


class ListPipelinesResponse(ApiModel):
    pipelines: list[Pipeline] | None = None
    total_size: int | None = None
    next_page_token: str | None = None


class ListPipelineVersionsResponse(ApiModel):
    pipeline_versions: list[PipelineVersion] | None = None
    next_page_token: str | None = None
    total_size: int | None = None
