"""The warm zygote's spare children: forked ahead of tasks, never left behind."""

# No `from __future__ import annotations`: kfp reads the component annotations at runtime.

import contextlib
import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from headrace.executors import PythonEnvCache, WarmExecutor
from headrace.executors._zygote import _signal_child
from headrace.executors.base import AttemptSpec
from tests.processes import running

from .attempts import Recorder, component_argv, make_spec, run_to_end, wait_for


@dsl.component(base_image="python:3.11")
def parent_pid() -> int:
    import os

    return os.getppid()


@dsl.component(base_image="python:3.11")
def program_dir(leave_a_file: bool) -> str:
    import json
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    cache = os.path.join(here, "__pycache__")
    seen = json.dumps([here, sorted(os.listdir(here)), sorted(os.listdir(cache))])
    if leave_a_file:
        with open(os.path.join(here, "left-behind"), "w") as f:
            f.write("x")
    return seen


@dsl.component(base_image="python:3.11")
def bytecode_a() -> str:
    import importlib.util
    import json
    import os

    module = os.path.abspath(__file__)
    cached = os.stat(importlib.util.cache_from_source(module))
    return json.dumps(["a", os.path.dirname(module), cached.st_ino, cached.st_mtime_ns])


@dsl.component(base_image="python:3.11")
def bytecode_b() -> str:
    import importlib.util
    import json
    import os

    module = os.path.abspath(__file__)
    cached = os.stat(importlib.util.cache_from_source(module))
    return json.dumps(["b", os.path.dirname(module), cached.st_ino, cached.st_mtime_ns])


@dsl.component(base_image="python:3.11")
def append_pid(path: str) -> int:
    import os

    with open(path, "a") as f:
        f.write(f"{os.getpid()}\n")
    return os.getpid()


@dsl.component(base_image="python:3.11")
def exit_after(seconds: float, code: int):
    import sys
    import time

    time.sleep(seconds)
    sys.exit(code)


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[WarmExecutor]:
    executor = WarmExecutor(envs=PythonEnvCache(tmp_path / "envs"))
    yield executor
    executor.shutdown()


def _spec(
    tmp_path: Path,
    component: Any = parent_pid,
    kind: str = "NUMBER_INTEGER",
    params: dict[str, Any] | None = None,
    **env: str,
) -> AttemptSpec:
    executor_input: dict[str, Any] = {
        "inputs": {"parameterValues": params or {}},
        "outputs": {
            "parameters": {"Output": {"outputFile": str(tmp_path / "out" / "Output")}},
            "outputFile": str(tmp_path / "out" / "executor_output.json"),
        },
    }
    return make_spec(
        tmp_path,
        component_argv(component, executor_input),
        env=env,
        executor_input=executor_input,
        output_parameter_types={"Output": kind},
        image="python:3.11",
    )


def _task_parent(executor: WarmExecutor, tmp_path: Path) -> int:
    outcome = run_to_end(executor, _spec(tmp_path))
    assert outcome.succeeded, outcome.error
    parent: int = outcome.output_parameters["Output"]
    return parent


def _children(pid: int) -> list[int]:
    """Live children of pid (zombies included: they are not reaped yet)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _sessions(pids: list[int]) -> dict[int, int]:
    """pid -> session of each process still there.

    The children listed may include the first task's own process, which the zygote reaps once it
    has exited: it may be gone by the time it is asked about.
    """
    found = {}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            found[pid] = os.getsid(pid)
    return found


def test_spares_wait_in_sessions_of_their_own_and_end_with_the_zygote(
    warm: WarmExecutor, tmp_path: Path
) -> None:
    zygote = _task_parent(warm, tmp_path / "1")
    # A session (and group) of its own before any task arrives: a signal for it finds the group.
    # A spare just forked makes its session a moment later (the zygote signals the spare itself
    # until then), and the children listed may include the first task's own process, which the
    # zygote reaps: wait until what is there settles.
    spares: list[int] = []

    def spares_lead_their_sessions() -> bool:
        spares[:] = [pid for pid in _children(zygote) if running(pid)]
        sessions = _sessions(spares)
        return bool(sessions) and all(sid == pid for pid, sid in sessions.items())

    wait_for(spares_lead_their_sessions)
    warm.shutdown()
    wait_for(lambda: not running(zygote) and not any(running(pid) for pid in spares))


def test_a_child_that_leads_no_group_yet_is_signalled_itself() -> None:
    # As a spare between its fork and its setsid, with a cancel already on its way: in the
    # zygote's group, with none of its own.
    child = subprocess.Popen(["sleep", "60"])
    try:
        _signal_child(child.pid, signal.SIGTERM)
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        child.kill()
        child.wait()


def test_a_killed_spare_is_reaped_and_the_next_task_still_forks(
    warm: WarmExecutor, tmp_path: Path
) -> None:
    zygote = _task_parent(warm, tmp_path / "1")
    wait_for(lambda: bool(_children(zygote)))
    spares = _children(zygote)
    for pid in spares:
        with contextlib.suppress(ProcessLookupError):  # the first task's process, reaped since
            os.kill(pid, signal.SIGKILL)
    # Reaped by the zygote, not left as zombies.
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in spares))
    assert _task_parent(warm, tmp_path / "2") == zygote
    assert warm.forks == 2


def test_program_dirs_are_in_tmpdir_reused_unless_a_task_left_a_file_and_removed_at_the_end(
    warm: WarmExecutor, tmp_path: Path
) -> None:
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    seen = []
    for n, leave in enumerate([False, False, False, True, False, False]):
        spec = _spec(
            tmp_path / str(n),
            program_dir,
            "STRING",
            {"leave_a_file": leave},
            TMPDIR=str(tmpdir),
            PYTHONDONTWRITEBYTECODE="",  # empty: bytecode is written, whatever the shell says
        )
        outcome = run_to_end(warm, spec)
        assert outcome.succeeded, outcome.error
        seen.append(json.loads(outcome.output_parameters["Output"]))
    # As after `mktemp -d` and kfp's import: the task's module and its own bytecode, no more.
    for here, files, cache in seen:
        assert Path(here).parent == tmpdir
        assert files == ["__pycache__", "ephemeral_component.py"]
        assert cache == ["ephemeral_component.cpython-311.pyc"]
    dirs = [here for here, _, _ in seen]
    # A directory serves a later task, unless its task left a file there: then it is removed.
    assert len(set(dirs)) < len(dirs)
    assert dirs[3] not in dirs[4:]
    wait_for(lambda: not Path(dirs[3]).exists())
    warm.shutdown()
    assert list(tmpdir.iterdir()) == []


def test_a_reused_program_directory_runs_each_component_s_own_code(
    warm: WarmExecutor, tmp_path: Path
) -> None:
    # Two modules of one size, written within a second: the case where a stale bytecode file
    # would pass Python's check (its source's size and whole-second time) for the other module.
    sources = [
        next(a for a in component_argv(c, {}) if "def bytecode_" in a)
        for c in (bytecode_a, bytecode_b)
    ]
    assert sources[0] != sources[1] and len(sources[0]) == len(sources[1])
    # Alternating spares or not, some directory sees the same component twice and another.
    order = [bytecode_a] * 4 + [bytecode_b] * 4 + [bytecode_a] * 4 + [bytecode_b] * 4
    last_in: dict[str, tuple[Any, list[Any]]] = {}
    pairs = []
    for n, component in enumerate(order):
        spec = _spec(tmp_path / str(n), component, "STRING", PYTHONDONTWRITEBYTECODE="")
        outcome = run_to_end(warm, spec)
        assert outcome.succeeded, outcome.error
        seen = json.loads(outcome.output_parameters["Output"])
        assert seen[0] == component.name[-1]
        if seen[1] in last_in:
            pairs.append((last_in[seen[1]], (component, seen)))
        last_in[seen[1]] = (component, seen)
    # Runs in one directory: the same component imports the bytecode the last one wrote (same
    # file, same time), another component its own.
    same = [
        before[2:] == after[2:] for (first, before), (second, after) in pairs if first is second
    ]
    other = [
        before[2:] == after[2:] for (first, before), (second, after) in pairs if first is not second
    ]
    assert same and all(same)
    assert other and not any(other)


def test_each_task_runs_exactly_once(warm: WarmExecutor, tmp_path: Path) -> None:
    ran = tmp_path / "ran.txt"
    pids = []
    for n in range(30):
        executor_input: dict[str, Any] = {
            "inputs": {"parameterValues": {"path": str(ran)}},
            "outputs": {
                "parameters": {"Output": {"outputFile": str(tmp_path / str(n) / "Output")}},
                "outputFile": str(tmp_path / str(n) / "executor_output.json"),
            },
        }
        spec = make_spec(
            tmp_path / str(n),
            component_argv(append_pid, executor_input),
            executor_input=executor_input,
            output_parameter_types={"Output": "NUMBER_INTEGER"},
            image="python:3.11",
        )
        outcome = run_to_end(warm, spec)
        assert outcome.succeeded, outcome.error
        pids.append(outcome.output_parameters["Output"])
    # A task handed to a spare twice (or to two spares) would write twice.
    wait_for(lambda: len(ran.read_text().split()) >= 30)
    assert sorted(int(p) for p in ran.read_text().split()) == sorted(pids)


def test_only_the_task_itself_can_announce_its_exit_code(
    warm: WarmExecutor, tmp_path: Path
) -> None:
    # A task announces its exit code as its last act; the kernel says which pid sent it, so a
    # datagram from any other process (here: this one) cannot end a task early or change its code.
    executor_input: dict[str, Any] = {
        "inputs": {"parameterValues": {"seconds": 1.0, "code": 3}},
        "outputs": {"outputFile": str(tmp_path / "out" / "executor_output.json")},
    }
    spec = make_spec(
        tmp_path,
        component_argv(exit_after, executor_input),
        executor_input=executor_input,
        image="python:3.11",
    )
    recorder = Recorder()
    warm.start(spec, recorder)
    wait_for(lambda: warm.forks == 1)
    [zygote] = warm._zygotes.values()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as fake:
        for _ in range(3):
            fake.sendto(b'{"exit": 0}', zygote._announce_address)
    outcome = recorder.wait(30)
    assert outcome.exit_code == 3
