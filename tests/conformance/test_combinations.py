"""Features nested inside each other: loops in sub-pipelines, conditions and retries inside."""

from kfp import dsl
from kfp.dsl import PipelineTaskFinalStatus

from headrace.states import RunState, TaskState

from .conftest import Harness, max_overlap, read_json_lines


@dsl.component
def flaky_square(x: int, log: str) -> int:
    import json
    import os
    import time

    index = int(os.environ["KFP_RETRY_INDEX"])
    start = time.time()
    time.sleep(0.2)
    with open(log, "a") as f:
        f.write(json.dumps({"x": x, "attempt": index, "start": start, "end": time.time()}) + "\n")
    if index == 0:
        raise RuntimeError(f"first attempt for {x} fails")
    return x * x


@dsl.component
def odd(x: int) -> int:
    return x


@dsl.component
def add_all(values: list[int]) -> int:
    return sum(values)


@dsl.pipeline
def squares_of_big(items: list, threshold: int, log: str) -> list[int]:
    with dsl.ParallelFor(items, parallelism=2) as x:
        seen = odd(x=x).set_caching_options(False)
        with dsl.If(seen.output > threshold):
            flaky_square(x=seen.output, log=log).set_retry(num_retries=2).set_caching_options(False)
    return dsl.Collected(seen.output)


@dsl.pipeline
def loop_condition_retry_in_sub_pipeline(log: str):
    sub = squares_of_big(items=[1, 5, 2, 7], threshold=3, log=log)
    add_all(values=sub.output).set_caching_options(False)


def test_loop_in_sub_pipeline_with_condition_and_retry_inside(harness: Harness) -> None:
    log = harness.tmp / "attempts.jsonl"
    result = harness.run(loop_condition_retry_in_sub_pipeline, {"log": str(log)})
    assert result.state is RunState.SUCCEEDED, result.run.error
    assert result.output("squares-of-big") == [1, 5, 2, 7]
    assert result.output("add-all") == 15
    squared = result.named("flaky-square")
    assert sorted(t.outputs["Output"] for t in squared) == [25, 49]
    assert all(t.attempt_count == 2 and t.state is TaskState.SUCCEEDED for t in squared)
    assert all(len(result.attempts(t.path)) == 2 for t in squared)
    assert len(result.named("odd")) == 4
    # The condition was false in two iterations: their branch is skipped, nothing else.
    skipped = [t for t in result.tasks if t.state is TaskState.SKIPPED]
    assert len(skipped) == 2
    assert all("/iteration-" in t.path for t in skipped)
    records = read_json_lines(log)
    assert sorted((r["x"], r["attempt"]) for r in records) == [(5, 0), (5, 1), (7, 0), (7, 1)]


@dsl.component
def report(status: PipelineTaskFinalStatus) -> str:
    return status.state


@dsl.component
def maybe_fail(x: int) -> int:
    if x == 2:
        raise ValueError("two is not allowed")
    return x


@dsl.pipeline
def guarded_loop() -> None:
    exit_task = report().set_caching_options(False)
    with dsl.ExitHandler(exit_task), dsl.ParallelFor([1, 2, 3]) as x:
        maybe_fail(x=x).set_retry(num_retries=1).set_caching_options(False)


def test_exit_handler_around_a_loop_with_a_failing_iteration(harness: Harness) -> None:
    result = harness.run(guarded_loop)
    assert result.state is RunState.FAILED
    failing = [t for t in result.named("maybe-fail") if t.state is TaskState.FAILED]
    assert len(failing) == 1 and failing[0].attempt_count == 2
    assert sum(t.state is TaskState.SUCCEEDED for t in result.named("maybe-fail")) == 2
    assert result.output("report") == "FAILED"
    assert failing[0].path in (result.run.error or "")


@dsl.component
def timed(x: int, log: str) -> int:
    import json
    import time

    start = time.time()
    time.sleep(0.3)
    with open(log, "a") as f:
        f.write(json.dumps({"x": x, "start": start, "end": time.time()}) + "\n")
    return x


@dsl.pipeline
def nested_limits(log: str) -> None:
    with (
        dsl.ParallelFor([1, 2], parallelism=1),
        dsl.ParallelFor([10, 20, 30], parallelism=2) as inner,
    ):
        timed(x=inner, log=log).set_caching_options(False)


def test_nested_parallelism_limits_multiply_at_most(harness: Harness) -> None:
    log = harness.tmp / "runs.jsonl"
    result = harness.run(nested_limits, {"log": str(log)}, max_parallel=8)
    assert result.state is RunState.SUCCEEDED
    records = read_json_lines(log)
    assert len(records) == 6
    # One outer iteration at a time, two inner ones within it.
    assert max_overlap([(r["start"], r["end"]) for r in records]) == 2
