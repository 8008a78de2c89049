"""Artifacts: Headrace's own resource (kfp-server-api has no artifact model or endpoint)."""

from __future__ import annotations

from typing import Any

from headrace.api.schemas.common import ApiModel, Timestamp


class ArtifactProducer(ApiModel):
    run_id: str
    task_id: str
    task_name: str
    output_key: str


class ArtifactConsumer(ApiModel):
    run_id: str
    task_id: str
    task_name: str
    input_key: str


class Artifact(ApiModel):
    """An artifact's record and lineage, and what is stored at its URI."""

    artifact_id: str
    name: str
    display_name: str | None = None
    type: str
    """The schema title, such as `system.Markdown`."""
    schema_version: str
    uri: str
    metadata: dict[str, Any]
    namespace: str
    run_id: str | None
    """None once the producing run is deleted while other runs still use the artifact."""
    created_at: Timestamp
    producer: ArtifactProducer | None
    consumers: list[ArtifactConsumer]
    is_dir: bool | None
    """None when nothing is stored at the URI (a metadata-only artifact)."""
    size_bytes: int | None
    """The size of a file artifact; None for a directory or when nothing is stored."""


class ArtifactFileEntry(ApiModel):
    path: str
    """Relative to the artifact; pass it back as `?path=` to list or read it."""
    size_bytes: int | None
    is_dir: bool
