"""Resource requests: `max_parallel` slots, CPU requests count against them, accelerators."""

import pytest
from kfp import dsl

from headrace.executors.local import accelerator_available
from headrace.states import RunState, TaskState

from .conftest import Harness, max_overlap, read_json_lines


@dsl.component
def timed(log: str, name: str, seconds: float) -> str:
    import json
    import time

    start = time.time()
    time.sleep(seconds)
    with open(log, "a") as f:
        f.write(json.dumps({"name": name, "start": start, "end": time.time()}) + "\n")
    return name


@dsl.pipeline
def four_small(log: str):
    for i in range(4):
        timed(log=log, name=f"small-{i}", seconds=0.6).set_caching_options(False)


def test_max_parallel_caps_concurrent_tasks(harness: Harness) -> None:
    log = harness.tmp / "runs.jsonl"
    result = harness.run(four_small, {"log": str(log)}, max_parallel=2)
    assert result.state is RunState.SUCCEEDED
    records = read_json_lines(log)
    assert len(records) == 4
    assert max_overlap([(r["start"], r["end"]) for r in records]) == 2


@dsl.pipeline
def two_big(log: str):
    timed(log=log, name="big-a", seconds=0.5).set_cpu_limit("2").set_caching_options(False)
    timed(log=log, name="big-b", seconds=0.5).set_cpu_request("1500m").set_caching_options(False)


def test_cpu_request_takes_that_many_slots(harness: Harness) -> None:
    log = harness.tmp / "runs.jsonl"
    result = harness.run(two_big, {"log": str(log)}, max_parallel=2)
    assert result.state is RunState.SUCCEEDED
    records = read_json_lines(log)
    assert len(records) == 2
    assert max_overlap([(r["start"], r["end"]) for r in records]) == 1
    # With room for both (4 slots), they do overlap: the limit above was the CPU budget.
    log.unlink()
    harness.run(two_big, {"log": str(log)}, max_parallel=4)
    both = read_json_lines(log)
    assert max_overlap([(r["start"], r["end"]) for r in both]) == 2


@dsl.pipeline
def greedy(log: str):
    timed(log=log, name="huge", seconds=0.1).set_cpu_limit("16").set_caching_options(False)


def test_request_larger_than_the_budget_still_runs_alone(harness: Harness) -> None:
    log = harness.tmp / "runs.jsonl"
    result = harness.run(greedy, {"log": str(log)}, max_parallel=2)
    assert result.state is RunState.SUCCEEDED
    assert result.output("timed") == "huge"


@dsl.pipeline
def wants_gpu(log: str):
    timed(log=log, name="gpu", seconds=0.1).set_accelerator_type(
        "nvidia.com/gpu"
    ).set_accelerator_limit(1).set_caching_options(False)


@pytest.mark.skipif(accelerator_available(), reason="this machine has a GPU")
def test_accelerator_request_fails_clearly_without_one(harness: Harness) -> None:
    result = harness.run(wants_gpu, {"log": str(harness.tmp / "runs.jsonl")})
    assert result.state is RunState.FAILED
    task = result.task("timed")
    assert task.state is TaskState.FAILED
    assert task.error is not None
    assert "accelerator" in task.error and "nvidia.com/gpu" in task.error
    assert "timed" in (result.run.error or "")
    assert not (harness.tmp / "runs.jsonl").exists()
