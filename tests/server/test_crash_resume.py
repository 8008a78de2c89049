"""Kill `headrace server` with SIGKILL mid-run; started again, it finishes the run."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import kfp

from headrace.engine._resume import STOPPED_ORPHAN
from headrace.states import RunState
from headrace.store import Store
from tests.cli import pipelines
from tests.processes import running
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
    # What the crash left: the run still RUNNING (read before the new server can finish it).
    with Store.connect(f"sqlite:///{home}/headrace.db") as store:
        assert store.get_run(run.run_id).state is RunState.RUNNING

    server = start_server(home, port)
    try:
        client = kfp.Client(host=f"http://127.0.0.1:{port}")
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


def _second_attempts(home: Path, run_id: str) -> list[tuple[str | None, bool]]:
    """The attempts of the task that hangs: their error, and whether their process is recorded."""
    with Store.connect(f"sqlite:///{home}/headrace.db") as store:
        names = {t.id: t.name for t in store.list_tasks(run_id)}
        attempts = store.list_attempts(run_id=run_id)
        return [(a.error, a.process is not None) for a in attempts if names[a.task_id] == "mark-2"]


def test_a_restarted_server_stops_the_local_task_its_killed_predecessor_left(
    tmp_path: Path,
) -> None:
    home, work, port = tmp_path / "home", tmp_path / "work", free_port()
    work.mkdir()
    server = start_server(home, port, HEADRACE_EXECUTOR="local")
    task_pid = 0
    try:
        try:
            client = kfp.Client(host=f"http://127.0.0.1:{port}")
            run = client.create_run_from_pipeline_func(
                pipelines.resumable, arguments={"workdir": str(work)}
            )
            _wait_for(work / "second.pid")
            deadline = time.monotonic() + 60
            while not any(known for _, known in _second_attempts(home, run.run_id)):
                assert time.monotonic() < deadline, "the task's process was never recorded"
                time.sleep(0.1)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
        time.sleep(0.2)
        task_pid = int((work / "second.pid").read_text())
        assert running(task_pid), "a local task outlives the server that started it"

        server = start_server(home, port, HEADRACE_EXECUTOR="local")
        try:
            client = kfp.Client(host=f"http://127.0.0.1:{port}")
            done = client.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.5)
            assert done.state == "SUCCEEDED"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        assert not running(task_pid)
    finally:
        if task_pid and running(task_pid):
            os.killpg(os.getpgid(task_pid), signal.SIGKILL)  # what the fix failed to do
    assert [error for error, _ in _second_attempts(home, run.run_id)] == [STOPPED_ORPHAN, None]
    assert (work / "ran.txt").read_text().splitlines() == [
        "first:0",
        "second:0",
        "second:1",
        "third:0",
    ]
