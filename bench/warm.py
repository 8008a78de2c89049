"""Per-task wall time of a trivial lightweight component: LocalExecutor vs WarmExecutor.

Each task is started, and waited for, one after the other; the time is from `start` to the done
callback, so it covers the process start, kfp's executor and reading the outputs back.
The warm pool's first task, which also starts the zygote, is reported on its own.

Usage: python bench/warm.py [--tasks 50]
"""

# No `from __future__ import annotations`: kfp reads the component annotations at runtime.

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import machine
from google.protobuf import json_format
from kfp import dsl

from headrace.executors import LocalExecutor, PythonEnvCache, WarmExecutor
from headrace.executors.base import AttemptOutcome, AttemptSpec, Executor


@dsl.component(base_image="python:3.11")
def step(x: int) -> int:
    return x + 1


def _spec(root: Path, i: int) -> AttemptSpec:
    executor_input: dict[str, Any] = {
        "inputs": {"parameterValues": {"x": i}},
        "outputs": {
            "parameters": {"Output": {"outputFile": str(root / "out" / "Output")}},
            "outputFile": str(root / "out" / "executor_output.json"),
        },
    }
    spec = json_format.MessageToDict(step.pipeline_spec)
    (container,) = (e["container"] for e in spec["deploymentSpec"]["executors"].values())
    argv = [
        json.dumps(executor_input) if a == "{{$}}" else a
        for a in [*container["command"], *container["args"]]
    ]
    return AttemptSpec(
        run_id="bench",
        task_id=f"task-{i}",
        task_path=f"root/step-{i}",
        attempt_number=0,
        image="python:3.11",
        argv=argv,
        env={"KFP_RETRY_INDEX": "0"},
        workdir=root / "work",
        log_path=root / "task.log",
        executor_input=executor_input,
        output_parameter_types={"Output": "NUMBER_INTEGER"},
    )


def _time_one(executor: Executor, spec: AttemptSpec) -> float:
    finished = threading.Event()
    outcomes: list[AttemptOutcome] = []

    def done(outcome: AttemptOutcome) -> None:
        outcomes.append(outcome)
        finished.set()

    started = time.perf_counter()
    executor.start(spec, done)
    finished.wait()
    elapsed = time.perf_counter() - started
    if not outcomes[0].succeeded or outcomes[0].output_parameters != {
        "Output": spec.executor_input["inputs"]["parameterValues"]["x"] + 1
    }:
        sys.exit(f"task {spec.task_path} failed: {outcomes[0]}")
    return elapsed


def _row(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {statistics.mean(ms):.1f} "
        f"| {p90:.1f} | {ms[0]:.1f} | {ms[-1]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="headrace-bench-warm-") as tmp:
        root = Path(tmp)
        envs = PythonEnvCache(root / "envs")
        local = LocalExecutor(envs=envs)
        warm = WarmExecutor(envs=envs)
        try:
            first_warm = _time_one(warm, _spec(root / "warm-first", -1))
            times: dict[str, list[float]] = {"local": [], "warm": []}
            for i in range(args.tasks):
                # Alternate, so both paths see the same machine state.
                times["local"].append(_time_one(local, _spec(root / f"local-{i}", i)))
                times["warm"].append(_time_one(warm, _spec(root / f"warm-{i}", i)))
        finally:
            local.shutdown()
            warm.shutdown()
    ratio = statistics.median(times["local"]) / statistics.median(times["warm"])
    print(f"machine: {machine()}")
    print("| path | tasks | median ms | mean ms | p90 ms | min ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    print(_row("LocalExecutor", times["local"]))
    print(_row("WarmExecutor", times["warm"]))
    print(f"warm pool's first task (starts the zygote): {first_warm * 1000:.1f} ms")
    print(f"median per-task wall time, local / warm: {ratio:.1f}x")


if __name__ == "__main__":
    main()
