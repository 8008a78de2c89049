"""A task left running by a SIGKILLed `headrace run` is stopped by `runs resume` before it runs
again, with the local executor (an orphan process group) and the warm one (its zygote ends it)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from headrace.engine._resume import LOST_ATTEMPT, STOPPED_ORPHAN
from headrace.states import AttemptState
from headrace.store import Store
from headrace.store.records import AttemptRecord
from tests.cli.conftest import HEADRACE, Cli
from tests.processes import running

PIPELINES = str(Path(__file__).with_name("pipelines.py"))


def _wait_until(predicate: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def _attempts_of(cli: Cli, run_id: str, task_name: str) -> list[AttemptRecord]:
    with Store.connect(f"sqlite:///{cli.home}/headrace.db") as store:
        names = {t.id: t.name for t in store.list_tasks(run_id)}
        return [a for a in store.list_attempts(run_id=run_id) if names[a.task_id] == task_name]


def _second_recorded(cli: Cli, run_id: str) -> bool:
    return any(a.process is not None for a in _attempts_of(cli, run_id, "mark-2"))


@pytest.mark.parametrize("executor", ["local", "warm"])
def test_resume_stops_the_task_a_killed_run_left_before_running_it_again(
    cli: Cli, tmp_path: Path, executor: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = cli.env(HEADRACE_EXECUTOR=executor)
    proc = subprocess.Popen(
        [HEADRACE, "run", PIPELINES, "--pipeline", "resumable", "--param", f"workdir={work}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    pid_file = work / "second.pid"
    task_pid = 0
    try:
        _wait_until(pid_file.exists, "the second task started")
        time.sleep(0.2)  # the pid file is written before the task sleeps
        task_pid = int(pid_file.read_text())
        run_id = cli.json("runs", "list")[0]["id"]
        _wait_until(lambda: _second_recorded(cli, run_id), "the task's process was recorded")
        proc.send_signal(signal.SIGKILL)  # Headrace "crashes"; nothing of it runs any more
        proc.wait(timeout=30)
        if executor == "warm":
            # The zygote hears its socket close and kills the tasks it forked.
            _wait_until(lambda: not running(task_pid), "the warm task died with its zygote", 30)
        else:
            time.sleep(1)
            assert running(task_pid), "a local task outlives the Headrace process"

        resumed = cli("runs", "resume", run_id[:8], "--quiet", HEADRACE_EXECUTOR=executor)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert not running(task_pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=30)
        if task_pid and running(task_pid):
            os.killpg(task_pid, signal.SIGKILL)  # what the fix failed to do

    assert (work / "ran.txt").read_text().splitlines() == [
        "first:0",
        "second:0",
        "second:1",
        "third:0",
    ]
    assert cli.json("runs", "show", run_id)["state"] == "SUCCEEDED"
    first, second = _attempts_of(cli, run_id, "mark-2")
    assert first.state is AttemptState.FAILED
    assert first.process is not None
    assert first.error == (STOPPED_ORPHAN if executor == "local" else LOST_ATTEMPT)
    assert second.state is AttemptState.SUCCEEDED
