"""Artifacts: metadata and lineage, a file's bytes (Range, preview cap), a directory's files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse

from headrace.api._byte_ranges import RangeNotSatisfiable, requested_range
from headrace.api._context import Context
from headrace.api._errors import error_response
from headrace.api.schemas.artifacts import (
    Artifact,
    ArtifactConsumer,
    ArtifactFileEntry,
    ArtifactProducer,
)
from headrace.service.artifacts import ArtifactDetails, Artifacts

router = APIRouter(tags=["ArtifactService"])

PREVIEW_MAX_BYTES = 10 * 1024 * 1024
"""The most bytes a preview (`max_bytes`) returns, whatever it asks for."""

Namespace = Annotated[
    str | None, Query(description="When given, an artifact of another namespace is 404.")
]
PathInside = Annotated[str | None, Query(description="A path relative to a directory artifact.")]


def _artifacts(context: Context) -> Artifacts:
    return Artifacts(context.store, context.namespaces)


def _view(details: ArtifactDetails) -> Artifact:
    artifact, producer = details.artifact, details.producer
    display_name = artifact.metadata.get("display_name")
    return Artifact(
        artifact_id=artifact.id,
        name=artifact.name,
        display_name=display_name if isinstance(display_name, str) else None,
        type=artifact.schema_title,
        schema_version=artifact.schema_version,
        uri=artifact.uri,
        metadata=artifact.metadata,
        namespace=details.namespace,
        run_id=artifact.run_id,
        created_at=artifact.created_at,
        producer=None
        if producer is None
        else ArtifactProducer(
            run_id=producer.run_id,
            task_id=producer.task_id,
            task_name=producer.task_name,
            output_key=producer.key,
        ),
        consumers=[
            ArtifactConsumer(
                run_id=c.run_id, task_id=c.task_id, task_name=c.task_name, input_key=c.key
            )
            for c in details.consumers
        ],
        is_dir=None if details.content is None else details.content.is_dir,
        size_bytes=None if details.content is None else details.content.size_bytes,
    )


@router.get("/artifacts/{artifact_id}", response_model=Artifact)
def get_artifact(context: Context, artifact_id: str, namespace: Namespace = None) -> Artifact:
    """An artifact's type, URI, metadata, producer and consumers, and whether it is a directory."""
    return _view(_artifacts(context).details(artifact_id, namespace))


MaxBytes = Annotated[
    int | None,
    Query(ge=1, description=f"Preview: at most this many bytes (capped at {PREVIEW_MAX_BYTES})."),
]
RangeHeader = Annotated[str | None, Header(alias="Range")]


@router.get("/artifacts/{artifact_id}/content", response_model=None)
def read_artifact(
    context: Context,
    artifact_id: str,
    path: PathInside = None,
    max_bytes: MaxBytes = None,
    namespace: Namespace = None,
    range_header: RangeHeader = None,
) -> Response:
    """The bytes of a file artifact, or of the file `path` inside a directory artifact."""
    return _content(context, artifact_id, path, max_bytes, namespace, range_header, body=True)


@router.head("/artifacts/{artifact_id}/content", response_model=None)
def head_artifact(
    context: Context,
    artifact_id: str,
    path: PathInside = None,
    max_bytes: MaxBytes = None,
    namespace: Namespace = None,
    range_header: RangeHeader = None,
) -> Response:
    """The headers GET would answer (type, length, range, size), without reading the bytes."""
    return _content(context, artifact_id, path, max_bytes, namespace, range_header, body=False)


def _content(
    context: Context,
    artifact_id: str,
    path: str | None,
    max_bytes: int | None,
    namespace: str | None,
    range_header: str | None,
    *,
    body: bool,
) -> Response:
    content = _artifacts(context).open(artifact_id, path, namespace)
    size = content.file.size_bytes
    headers = {
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        # HTML and SVG artifacts are user content: never run them with this server's origin.
        "Content-Security-Policy": "sandbox allow-scripts",
        "X-Headrace-Size": str(size),
    }
    try:
        wanted = requested_range(range_header, size)
    except RangeNotSatisfiable:
        refused = error_response(416, f"range {range_header!r} is outside the {size} bytes")
        refused.headers.update({"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"})
        return refused
    start, length = (0, size) if wanted is None else (wanted.start, wanted.length)
    sent = length if max_bytes is None else min(length, max_bytes, PREVIEW_MAX_BYTES)
    if sent < length:
        headers["X-Headrace-Truncated"] = "true"
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{start + sent - 1}/{size}"
    headers["Content-Length"] = str(sent)
    if not body:
        # Content-Length stays the length GET would send (RFC 9110 9.3.2).
        return Response(status_code=status, media_type=content.content_type, headers=headers)
    return StreamingResponse(
        content.file.chunks(start, sent),
        status_code=status,
        media_type=content.content_type,
        headers=headers,
    )


@router.get("/artifacts/{artifact_id}/files", response_model=list[ArtifactFileEntry])
def list_artifact_files(
    context: Context,
    artifact_id: str,
    response: Response,
    path: PathInside = None,
    recursive: bool = False,
    namespace: Namespace = None,
) -> list[ArtifactFileEntry]:
    """The files and directories of a directory artifact (all levels with `recursive`)."""
    listing = _artifacts(context).files(artifact_id, path, namespace, recursive=recursive)
    if listing.truncated:
        response.headers["X-Headrace-Truncated"] = "true"
    return [
        ArtifactFileEntry(path=e.path, size_bytes=e.size_bytes, is_dir=e.is_dir)
        for e in listing.entries
    ]
