"""Kill `headrace server` with SIGKILL mid-run; started again, it finishes the run."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import kfp

from tests.cli import pipelines
from tests.server.conftest import free_port, start_server


def _wait_for(path: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def test_sigkilled_server_resumes_the_run_without_redoing_finished_tasks(tmp_path: Path) -> None:
    home, work, port = tmp_path / "home", tmp_path / "work", free_port()
    work.mkdir()
    server = start_server(home, port)
    try:
        client = kfp.Client(host=f"http://127.0.0.1:{port}")
        run = client.create_run_from_pipeline_func(
            pipelines.resumable, arguments={"workdir": str(work)}
        )
        _wait_for(work / "second.pid")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):  # warm tasks die with their server
        os.kill(int((work / "second.pid").read_text()), signal.SIGKILL)

    server = start_server(home, port)
    try:
        client = kfp.Client(host=f"http://127.0.0.1:{port}")
        assert client.get_run(run.run_id).state == "RUNNING"
        done = client.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.5)
        assert done.state == "SUCCEEDED"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert (work / "ran.txt").read_text().splitlines() == [
        "first:0",
        "second:0",
        "second:1",
        "third:0",
    ]
