"""Reading an attempt's log: the live local file, then the archive once the attempt ended."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from headrace.storage.filesystems import upload
from headrace.storage.logs import LogLocation, follow_log, read_log
from headrace.storage.settings import StorageSettings


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
