"""Reading an attempt's log: the live local file, then the archive once the attempt ended."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path

from headrace.executors._staging import live_log_uploads
from headrace.storage.filesystems import read_bytes, upload
from headrace.storage.logs import LiveLogUpload, LogLocation, follow_log, read_log
from headrace.storage.settings import StorageSettings
from tests.executors.attempts import make_spec


def test_a_live_attempt_is_read_from_its_local_file(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    local = tmp_path / "0.log"
    local.write_text("line 1\n")
    location = LogLocation(str(local), f"s3://{bucket}/logs/0.log")
    assert read_log(location, storage, live=True) == "line 1\n"


def test_an_ended_attempt_is_read_from_the_archive_after_the_local_file_is_gone(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    local = tmp_path / "0.log"
    local.write_text("archived\n")
    uri = f"s3://{bucket}/logs/0.log"
    upload(local, uri, storage)
    local.unlink()
    assert read_log(LogLocation(str(local), uri), storage, live=False) == "archived\n"


def test_an_unarchived_log_falls_back_to_the_local_file(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    local = tmp_path / "0.log"
    local.write_text("kept\n")
    location = LogLocation(str(local), f"s3://{bucket}/never-archived.log")
    assert read_log(location, storage, live=False) == "kept\n"
    assert read_log(LogLocation(str(tmp_path / "none.log")), storage, live=False) == ""


def test_follow_tails_the_live_file_then_finishes_from_the_archive(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    local = tmp_path / "0.log"
    local.write_text("")
    uri = f"s3://{bucket}/logs/followed.log"
    ended = threading.Event()

    def task() -> None:
        with local.open("a") as f:
            for i in range(3):
                f.write(f"step {i}\n")
                f.flush()
                time.sleep(0.1)
            f.write("last line\n")
        upload(local, uri, storage)
        ended.set()

    writer = threading.Thread(target=task)
    writer.start()
    chunks = list(
        follow_log(
            LogLocation(str(local), uri),
            storage,
            is_live=lambda: not ended.is_set(),
            poll_seconds=0.05,
        )
    )
    writer.join()
    assert "".join(chunks) == "step 0\nstep 1\nstep 2\nlast line\n"
    assert len(chunks) > 1  # streamed while running, not all at the end


def test_follow_is_bounded(tmp_path: Path, storage: StorageSettings) -> None:
    local = tmp_path / "0.log"
    local.write_text("still running\n")
    started = time.monotonic()
    chunks = list(
        follow_log(
            LogLocation(str(local)),
            storage,
            is_live=lambda: True,
            poll_seconds=0.05,
            max_seconds=0.3,
        )
    )
    assert "".join(chunks) == "still running\n"
    assert time.monotonic() - started < 5


def _wait_for(check: Callable[[], object], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert check(), "timed out"


def test_a_running_log_is_flushed_to_the_archive_as_it_grows(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    local = tmp_path / "0.log"
    uri = f"s3://{bucket}/logs/live.log"
    uploads = LiveLogUpload(local, uri, storage, interval=0.05)
    uploads.start()
    try:
        with local.open("ab") as f:
            f.write(b"one\n")
            f.flush()
            _wait_for(lambda: read_bytes(uri, storage) == b"one\n")
            f.write(b"two\n")
            f.flush()
            _wait_for(lambda: read_bytes(uri, storage) == b"one\ntwo\n")
            # Removed from the disk (a temp cleaner): still read through the open descriptor.
            local.unlink()
            f.write(b"three\n")
            f.flush()
    finally:
        uploads.stop()
    assert read_bytes(uri, storage) == b"one\ntwo\nthree\n"


def test_a_log_removed_before_the_first_flush_still_reaches_the_archive(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    # A reader on the worker's machine may remove the file as soon as the first line is there.
    local = tmp_path / "attempt" / "0.log"
    uri = f"s3://{bucket}/logs/early.log"
    uploads = LiveLogUpload(local, uri, storage, interval=0.5)
    uploads.start()
    try:
        with local.open("ab") as f:  # as the task's log is opened
            f.write(b"first line\n")
            f.flush()
            local.unlink()
            _wait_for(lambda: read_bytes(uri, storage) == b"first line\n")
    finally:
        uploads.stop()


def test_another_machine_follows_the_flushed_archive(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    uri = f"s3://{bucket}/logs/elsewhere.log"
    upload_path = tmp_path / "worker.log"
    upload_path.write_text("early\npart")
    upload(upload_path, uri, storage)
    ended = threading.Event()

    def worker() -> None:
        upload_path.write_text("early\npartial line\nlast\n")
        upload(upload_path, uri, storage)
        ended.set()

    elsewhere = LogLocation(str(tmp_path / "not-on-this-machine.log"), uri)
    assert read_log(elsewhere, storage, live=True) == "early\npart"
    chunks = []
    for chunk in follow_log(
        elsewhere, storage, is_live=lambda: not ended.is_set(), poll_seconds=0.05
    ):
        chunks.append(chunk)
        if chunk == "early\n":  # only whole lines while the attempt runs
            threading.Thread(target=worker).start()
    assert chunks[0] == "early\n"
    assert "".join(chunks) == "early\npartial line\nlast\n"


def test_no_flushing_when_disabled_or_not_archived(
    tmp_path: Path, storage: StorageSettings
) -> None:
    archived = dataclasses.replace(
        make_spec(tmp_path, ["true"]), storage=storage, log_archive_uri="s3://b/0.log"
    )
    off = dataclasses.replace(archived, storage=dataclasses.replace(storage, log_flush_seconds=0))
    local_only = dataclasses.replace(archived, log_archive_uri=None)

    def flushing() -> bool:
        return any(t.name == "headrace-log-flush" for t in threading.enumerate())

    with live_log_uploads(archived):
        assert flushing()
    for spec in (off, local_only):
        with live_log_uploads(spec):
            assert not flushing()
