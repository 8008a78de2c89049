"""An attempt's log: copied to its archive while it runs and when it ends, and read back.

Readers (`headrace logs`, the API) take the live local file while the attempt runs on their
machine; elsewhere, or once it has ended, the archive. The archive is read wherever the store is
shared, so logs outlive the worker, its machine and the run's local directories; while the
attempt runs the archive is refreshed every `log_flush_seconds`, so a reader on another machine
lags by at most that much.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from headrace.errors import StorageError
from headrace.storage.filesystems import read_bytes, write_bytes
from headrace.storage.settings import StorageSettings

logger = logging.getLogger(__name__)


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


def _live_bytes(location: LogLocation, settings: StorageSettings, start: int = 0) -> bytes | None:
    """A running attempt's log: its local file on the worker's machine, else what was flushed."""
    local = _local_bytes(location, start)
    if local is not None or location.archive_uri is None:
        return local
    return read_bytes(location.archive_uri, settings, start)


def _ended_bytes(location: LogLocation, settings: StorageSettings, start: int = 0) -> bytes:
    """The log of an ended attempt: the archive, else the local file (archiving may have failed)."""
    if location.archive_uri is not None:
        archived = read_bytes(location.archive_uri, settings, start)
        if archived is not None:
            return archived
    return _local_bytes(location, start) or b""


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def read_log_bytes(
    location: LogLocation, settings: StorageSettings, *, live: bool, start: int = 0
) -> bytes:
    """The log's bytes from offset `start` on (a ranged read of the archive when it is read
    there); `live` says the attempt is still running."""
    if live:
        data = _live_bytes(location, settings, start)
        if data is not None:
            return data
    return _ended_bytes(location, settings, start)


def read_log(location: LogLocation, settings: StorageSettings, *, live: bool) -> str:
    """The whole log text so far; `live` says the attempt is still running."""
    return _text(read_log_bytes(location, settings, live=live))


def follow_log(
    location: LogLocation,
    settings: StorageSettings,
    *,
    is_live: Callable[[], bool],
    poll_seconds: float = 0.5,
    max_seconds: float = 24 * 3600.0,
) -> Iterator[str]:
    """Yield the log as it grows until the attempt ends (or `max_seconds` pass), then the rest.

    While the attempt runs the local file is tailed (the archive's flushed copy on another
    machine); once `is_live()` turns false whatever was not yet yielded is read from the archive
    (or the local file).
    """
    offset = 0
    deadline = time.monotonic() + max_seconds
    while is_live() and time.monotonic() < deadline:
        chunk = _live_bytes(location, settings, offset)
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


class LiveLogUpload:
    """Copies a running attempt's log to its archive every `interval` seconds, in a thread.

    Object stores cannot append: each flush rewrites the whole object, and only when the log
    has grown. The file is read through a descriptor opened at `start`, so a log removed from
    the disk while the attempt runs still reaches the archive. A failed flush is logged, not
    raised: the archive written when the attempt ends is the one whose failure counts.
    """

    def __init__(self, local: Path, uri: str, settings: StorageSettings, interval: float) -> None:
        self._local = local
        self._uri = uri
        self._settings = settings
        self._interval = interval
        self._file: BinaryIO | None = None
        self._flushed = 0
        self._warned = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="headrace-log-flush", daemon=True)

    def start(self) -> None:
        # Hold the file from the start: a reader on the worker's machine may remove it as soon
        # as the first line is there, before the first flush would have opened it. The task's
        # log is opened for appending, so it writes to this same file.
        self._local.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._local.open("ab+")
        self._thread.start()

    def stop(self) -> None:
        """Stop flushing (waiting for a flush under way); flush a last time if the file is gone."""
        self._stopping.set()
        self._thread.join()
        try:
            if self._file is not None and not self._local.exists():
                self._flush()
        except StorageError as exc:
            logger.warning("log %s not flushed to %s: %s", self._local, self._uri, exc)
        finally:
            if self._file is not None:
                self._file.close()

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._flush()
            except StorageError as exc:
                if not self._warned:  # once per attempt: the store may be down for a while
                    logger.warning("log %s not flushed to %s: %s", self._local, self._uri, exc)
                    self._warned = True
            except OSError as exc:
                logger.warning("log %s cannot be read: %s", self._local, exc)
                return

    def _flush(self) -> None:
        if self._file is None:  # not started
            return
        size = os.fstat(self._file.fileno()).st_size
        if size <= self._flushed:
            return
        data = os.pread(self._file.fileno(), size, 0)
        write_bytes(self._uri, data, self._settings)
        self._flushed = len(data)
