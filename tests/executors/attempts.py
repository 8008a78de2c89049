"""Run real attempts through an executor and wait for their outcome."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from headrace.executors import AttemptOutcome, AttemptSpec, Executor
from headrace.spec.resources import Resources


class Recorder:
    """A done callback that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[AttemptOutcome] = []
        self.event = threading.Event()

    def __call__(self, outcome: AttemptOutcome) -> None:
        self.calls.append(outcome)
        self.event.set()

    def wait(self, timeout: float = 60) -> AttemptOutcome:
        assert self.event.wait(timeout), "the attempt never called done"
        return self.calls[0]


def make_spec(
    tmp_path: Path,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    executor_input: dict[str, Any] | None = None,
    output_parameter_types: dict[str, str] | None = None,
    resources: Resources | None = None,
    image: str = "alpine:3.20",
    task_path: str = "root/task",
) -> AttemptSpec:
    return AttemptSpec(
        run_id="run-1",
        task_id="task-1",
        task_path=task_path,
        attempt_number=0,
        image=image,
        argv=argv,
        env=env or {},
        workdir=tmp_path / "work",
        log_path=tmp_path / "logs" / "task.log",
        executor_input=executor_input or {},
        output_parameter_types=output_parameter_types or {},
        resources=resources or Resources(),
    )


def run_to_end(executor: Executor, spec: AttemptSpec, timeout: float = 60) -> AttemptOutcome:
    recorder = Recorder()
    executor.start(spec, recorder)
    return recorder.wait(timeout)


def component_argv(component: Any, executor_input: dict[str, Any]) -> list[str]:
    """The container command + args kfp compiled for a component, with {{$}} resolved."""
    spec = json_format.MessageToDict(component.pipeline_spec)
    (executor,) = spec["deploymentSpec"]["executors"].values()
    argv = [*executor["container"]["command"], *executor["container"]["args"]]
    return [json.dumps(executor_input) if a == "{{$}}" else a for a in argv]


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
