"""Object-store artifacts and logs around an attempt: stage inputs, upload outputs, archive logs."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterator

from headrace.errors import StorageError
from headrace.executors._process import TaskLog
from headrace.executors.base import AttemptOutcome, AttemptSpec, OutputArtifact
from headrace.storage.filesystems import download, exists, upload
from headrace.storage.logs import LiveLogUpload
from headrace.storage.settings import StorageSettings

logger = logging.getLogger(__name__)


def _settings(spec: AttemptSpec) -> StorageSettings:
    if spec.storage is None:
        raise StorageError(
            f"task {spec.task_path} has object-store artifacts but no storage settings",
            "report this as a Headrace bug",
        )
    return spec.storage


def stage_inputs(spec: AttemptSpec, log: TaskLog) -> None:
    """Download every object-store input to its staged path; raises StorageError."""
    if not spec.downloads:
        return
    settings = _settings(spec)
    for transfer in spec.downloads:
        if not exists(transfer.uri, settings):
            # A metadata-only artifact (Metrics, or an output the producer never wrote).
            log.notice(f"input artifact {transfer.uri} has no content; nothing staged")
            continue
        download(transfer.uri, transfer.local, settings)


def upload_outputs(
    spec: AttemptSpec, artifacts: dict[str, list[OutputArtifact]]
) -> dict[str, list[OutputArtifact]]:
    """Upload staged outputs and give them back their object-store URIs; raises StorageError."""
    if not spec.uploads:
        return artifacts
    settings = _settings(spec)
    staged = {str(t.local): t for t in spec.uploads}
    uploaded: dict[str, list[OutputArtifact]] = {}
    for name, produced in artifacts.items():
        uploaded[name] = []
        for artifact in produced:
            transfer = staged.get(artifact.uri.removeprefix("file://"))
            if transfer is None:  # the program pointed the artifact elsewhere itself
                uploaded[name].append(artifact)
                continue
            if transfer.local.exists():
                upload(transfer.local, transfer.uri, settings)
            uploaded[name].append(dataclasses.replace(artifact, uri=transfer.uri))
    return uploaded


def archive_log(spec: AttemptSpec, outcome: AttemptOutcome) -> AttemptOutcome:
    """Copy the finished log to its archive; a failure fails the attempt, the local log stays."""
    if spec.log_archive_uri is None:
        return outcome
    try:
        settings = _settings(spec)
        if spec.log_path.exists():
            upload(spec.log_path, spec.log_archive_uri, settings)
    except StorageError as exc:
        logger.warning("log of task %s not archived: %s", spec.task_path, exc)
        if outcome.canceled:
            return outcome
        error = f"its log could not be archived: {exc}"
        if outcome.error:
            error = f"{outcome.error}; {error}"
        return dataclasses.replace(outcome, error=error)
    return outcome


@contextlib.contextmanager
def live_log_uploads(spec: AttemptSpec) -> Iterator[None]:
    """While the attempt runs, copy its log to the archive every `log_flush_seconds`, so that
    readers on other machines see it before it ends (`archive_log` writes the final copy)."""
    storage = spec.storage
    if spec.log_archive_uri is None or storage is None or storage.log_flush_seconds <= 0:
        yield
        return
    uploads = LiveLogUpload(spec.log_path, spec.log_archive_uri, storage, storage.log_flush_seconds)
    uploads.start()
    try:
        yield
    finally:
        uploads.stop()
