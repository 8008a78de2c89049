"""Stopping a task's process group that a dead Headrace process left: only the recorded one."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from headrace.executors import LocalExecutor, ProcessIdentity, PythonEnvCache, stop_orphan
from headrace.executors._process import process_identity
from tests.processes import running

from .attempts import Recorder, make_spec, wait_for

# A task that ignores SIGTERM, with a child in its process group that does too.
_STUBBORN = (
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = subprocess.Popen([sys.executable, '-c', "
    "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.fixture
def task() -> Iterator[subprocess.Popen[str]]:
    """A task started as executors start them: in its own session."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _STUBBORN],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    yield proc
    proc.kill()
    proc.wait()


def _identity(proc: subprocess.Popen[str]) -> ProcessIdentity:
    identity = process_identity(proc.pid)
    assert identity is not None
    return identity


def test_the_recorded_group_is_stopped_child_and_all_even_when_it_ignores_sigterm(
    task: subprocess.Popen[str],
) -> None:
    assert task.stdout is not None
    child = int(task.stdout.readline())
    identity = _identity(task)
    assert (identity.host, identity.pid, identity.group) == (
        socket.gethostname(),
        task.pid,
        task.pid,
    )
    assert stop_orphan(identity, grace_seconds=0.3) is True
    assert task.wait(timeout=10) == -9
    wait_for(lambda: not running(child))


def test_a_pid_with_another_start_time_is_not_killed(task: subprocess.Popen[str]) -> None:
    identity = _identity(task)
    reused = dataclasses.replace(identity, start=identity.start - 1)
    assert stop_orphan(reused, grace_seconds=0.1) is False
    assert task.poll() is None


def test_a_process_recorded_on_another_host_is_left_alone(task: subprocess.Popen[str]) -> None:
    elsewhere = dataclasses.replace(_identity(task), host=f"not-{socket.gethostname()}")
    assert stop_orphan(elsewhere, grace_seconds=0.1) is False
    assert task.poll() is None


def test_a_process_that_has_ended_is_not_stopped(tmp_path: Path) -> None:
    proc = subprocess.Popen(["true"], start_new_session=True)
    identity = _identity(proc)
    proc.wait()
    assert stop_orphan(identity, grace_seconds=0.1) is False


def test_the_executor_reports_the_tasks_process_before_it_ends(tmp_path: Path) -> None:
    executor = LocalExecutor(envs=PythonEnvCache(tmp_path / "envs"), grace_seconds=0.5)
    reported: list[ProcessIdentity] = []
    seen = threading.Event()

    def started(identity: ProcessIdentity) -> None:
        reported.append(identity)
        seen.set()

    recorder = Recorder()
    handle = executor.start(make_spec(tmp_path, ["sleep", "60"]), recorder, started)
    try:
        assert seen.wait(30)
        [identity] = reported
        assert identity.group == identity.pid and running(identity.pid)
        assert process_identity(identity.pid) == identity
    finally:
        handle.cancel()
    assert recorder.wait().canceled
    assert reported == [identity]
