"""The warm zygote's spare children: forked ahead of tasks, never left behind."""

# No `from __future__ import annotations`: kfp reads the component annotations at runtime.

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from headrace.executors import PythonEnvCache, WarmExecutor
from headrace.executors.base import AttemptSpec

from .attempts import component_argv, gone, make_spec, run_to_end, wait_for


@dsl.component(base_image="python:3.11")
def parent_pid() -> int:
    import os

    return os.getppid()


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[WarmExecutor]:
    executor = WarmExecutor(envs=PythonEnvCache(tmp_path / "envs"))
    yield executor
    executor.shutdown()


def _spec(tmp_path: Path) -> AttemptSpec:
    executor_input: dict[str, Any] = {
        "inputs": {"parameterValues": {}},
        "outputs": {
            "parameters": {"Output": {"outputFile": str(tmp_path / "out" / "Output")}},
            "outputFile": str(tmp_path / "out" / "executor_output.json"),
        },
    }
    return make_spec(
        tmp_path,
        component_argv(parent_pid, executor_input),
        executor_input=executor_input,
        output_parameter_types={"Output": "NUMBER_INTEGER"},
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


def test_spares_wait_in_sessions_of_their_own_and_end_with_the_zygote(
    warm: WarmExecutor, tmp_path: Path
) -> None:
    zygote = _task_parent(warm, tmp_path / "1")
    wait_for(lambda: bool(_children(zygote)))
    spares = _children(zygote)
    # A session (and group) of its own before any task arrives: a signal for it finds the group.
    assert all(os.getsid(pid) == pid for pid in spares)
    warm.shutdown()
    wait_for(lambda: gone(zygote) and all(gone(pid) for pid in spares))


def test_a_killed_spare_is_reaped_and_the_next_task_still_forks(
    warm: WarmExecutor, tmp_path: Path
) -> None:
    zygote = _task_parent(warm, tmp_path / "1")
    wait_for(lambda: bool(_children(zygote)))
    spares = _children(zygote)
    for pid in spares:
        os.kill(pid, signal.SIGKILL)
    # Reaped by the zygote, not left as zombies.
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in spares))
    assert _task_parent(warm, tmp_path / "2") == zygote
    assert warm.forks == 2
