"""Read an attempt's log: the live local file while it runs, the archive once it has ended.

Shared by the CLI (`headrace logs`) and, later, the API. The archive is read wherever the
store is shared, so logs outlive the worker, its machine and the run's local directories.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from headrace.storage.filesystems import read_bytes
from headrace.storage.settings import StorageSettings


@dataclass(frozen=True)
class LogLocation:
    """Where one attempt's log lives: the local file it is streamed to, and its archive."""

    local_path: str
    archive_uri: str | None = None


def _local_bytes(location: LogLocation, start: int = 0) -> bytes | None:
    path = Path(location.local_path)
    if not path.is_file():
        return None
    with path.open("rb") as f:
        f.seek(start)
        return f.read()


def _ended_bytes(location: LogLocation, settings: StorageSettings, start: int = 0) -> bytes:
    """The log of an ended attempt: the archive, else the local file (archiving may have failed)."""
    if location.archive_uri is not None:
        archived = read_bytes(location.archive_uri, settings, start)
        if archived is not None:
            return archived
    return _local_bytes(location, start) or b""


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def read_log(location: LogLocation, settings: StorageSettings, *, live: bool) -> str:
    """The whole log text so far; `live` says the attempt is still running."""
    if live:
        local = _local_bytes(location)
        if local is not None:
            return _text(local)
    return _text(_ended_bytes(location, settings))


def follow_log(
    location: LogLocation,
    settings: StorageSettings,
    *,
    is_live: Callable[[], bool],
    poll_seconds: float = 0.5,
    max_seconds: float = 24 * 3600.0,
) -> Iterator[str]:
    """Yield the log as it grows until the attempt ends (or `max_seconds` pass), then the rest.

    While the attempt runs on this machine the local file is tailed; once `is_live()` turns
    false whatever was not yet yielded is read from the archive (or the local file).
    """
    offset = 0
    deadline = time.monotonic() + max_seconds
    while is_live() and time.monotonic() < deadline:
        chunk = _local_bytes(location, offset)
        if chunk:
            # Yield whole lines only, so a multi-byte character is never split.
            end = chunk.rfind(b"\n") + 1
            if end:
                offset += end
                yield _text(chunk[:end])
        time.sleep(poll_seconds)
    rest = _ended_bytes(location, settings, offset)
    if rest:
        yield _text(rest)
