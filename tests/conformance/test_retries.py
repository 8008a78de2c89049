"""set_retry: attempts, KFP_RETRY_INDEX, backoff, a log per attempt, in loops and sub-DAGs."""

from kfp import dsl
from kfp.dsl import Dataset, Output

from headrace.states import AttemptState, RunState, TaskState

from .conftest import Harness


@dsl.component
def flaky(fail_times: int, out: Output[Dataset]) -> int:
    import os

    index = int(os.environ["KFP_RETRY_INDEX"])
    print(f"attempt {index} writes {out.uri}")
    with open(out.path, "w") as f:
        f.write(f"attempt {index}")
    if index < fail_times:
        raise RuntimeError(f"failing attempt {index}")
    return index


@dsl.component
def always_fails() -> None:
    import os

    raise SystemExit(f"no luck on attempt {os.environ['KFP_RETRY_INDEX']}")


@dsl.component
def plus(x: int, y: int) -> int:
    return x + y


@dsl.pipeline
def retried():
    first = flaky(fail_times=2).set_retry(num_retries=3).set_caching_options(False)
    plus(x=first.outputs["Output"], y=100).set_caching_options(False)


def test_fails_twice_then_succeeds_with_one_log_per_attempt(harness: Harness) -> None:
    result = harness.run(retried)
    assert result.state is RunState.SUCCEEDED
    task = result.task("flaky")
    assert task.state is TaskState.SUCCEEDED
    assert task.attempt_count == 3
    attempts = result.attempts("flaky")
    assert [a.number for a in attempts] == [0, 1, 2]
    assert [a.state for a in attempts] == [
        AttemptState.FAILED,
        AttemptState.FAILED,
        AttemptState.SUCCEEDED,
    ]
    assert [a.exit_code for a in attempts][2] == 0
    assert all(a.exit_code not in (None, 0) for a in attempts[:2])
    assert all(a.finished_at is not None for a in attempts)
    assert len({a.log_path for a in attempts}) == 3
    logs = result.logs("flaky")
    for i, text in enumerate(logs):
        assert f"attempt {i} writes" in text
        assert all(f"attempt {j} writes" not in text for j in range(3) if j != i)
    assert "failing attempt 0" in logs[0] and "failing attempt" not in logs[2]
    # KFP_RETRY_INDEX was 2 on the attempt that succeeded; its output flows downstream.
    assert result.output("flaky") == 2
    assert result.output("plus") == 102
    # Every attempt wrote its artifact to its own URI; the kept one is the successful attempt's.
    uris = [line.split(" writes ")[1].split()[0] for line in logs]
    assert len(set(uris)) == 3
    assert result.artifact("flaky", "out").uri == uris[2]
    assert result.artifact_text("flaky", "out") == "attempt 2"
    # The failed attempts' scratch stays for inspection; the succeeded ones' went with them.
    scratch = harness.home / "work" / result.run.id
    assert sorted(p.name for p in scratch.iterdir()) == [f"{task.id}.0", f"{task.id}.1"]


@dsl.pipeline
def exhausted():
    always_fails().set_retry(num_retries=2).set_caching_options(False)


def test_retries_exhausted_fail_the_task_after_every_attempt(harness: Harness) -> None:
    result = harness.run(exhausted)
    assert result.state is RunState.FAILED
    assert result.task("always-fails").attempt_count == 3
    assert [a.state for a in result.attempts("always-fails")] == [AttemptState.FAILED] * 3
    assert "no luck on attempt 2" in result.logs("always-fails")[2]
    assert result.task("always-fails").error is not None
    assert "3 attempts" in (result.task("always-fails").error or "")


@dsl.pipeline
def backoff():
    flaky(fail_times=1).set_retry(
        num_retries=2, backoff_duration="1s", backoff_factor=2
    ).set_caching_options(False)


def test_backoff_waits_between_attempts(harness: Harness) -> None:
    result = harness.run(backoff)
    assert result.state is RunState.SUCCEEDED
    first, second = result.attempts("flaky")
    assert first.finished_at is not None
    gap = (second.started_at - first.finished_at).total_seconds()
    assert gap >= 0.9, gap


@dsl.pipeline
def backoff_window():
    always_fails().set_retry(
        num_retries=5, backoff_duration="1s", backoff_factor=2, backoff_max_duration="2s"
    ).set_caching_options(False)


def test_backoff_max_duration_bounds_the_retry_window(harness: Harness) -> None:
    # Argo's maxDuration (what Kubeflow compiles backoffMaxDuration to) stops retrying once the
    # next attempt would start later than that long after the first: here after 2 attempts.
    result = harness.run(backoff_window)
    assert result.state is RunState.FAILED
    assert result.task("always-fails").attempt_count == 2
    assert "backoff_max_duration" in (result.task("always-fails").error or "")


@dsl.pipeline
def retry_sub(fail_times: int) -> int:
    task = flaky(fail_times=fail_times)
    return task.set_retry(num_retries=1).set_caching_options(False).outputs["Output"]


@dsl.pipeline
def retries_in_loops_and_sub_pipelines():
    with dsl.ParallelFor([1, 1, 0]) as fails:
        f = flaky(fail_times=fails).set_retry(num_retries=1).set_caching_options(False)
    nested = retry_sub(fail_times=1)
    plus(x=nested.output, y=10).set_caching_options(False).after(f)


def test_retries_inside_loops_and_sub_pipelines(harness: Harness) -> None:
    result = harness.run(retries_in_loops_and_sub_pipelines)
    assert result.state is RunState.SUCCEEDED
    loop_tasks = [t for t in result.named("flaky") if "iteration-" in t.path]
    assert sorted(t.path for t in loop_tasks) == [
        f"for-loop-2/iteration-{i}/flaky" for i in range(3)
    ]
    counts = {t.path: t.attempt_count for t in loop_tasks}
    assert counts == {
        "for-loop-2/iteration-0/flaky": 2,
        "for-loop-2/iteration-1/flaky": 2,
        "for-loop-2/iteration-2/flaky": 1,
    }
    assert len(result.attempts("retry-sub/flaky")) == 2
    assert result.output("retry-sub") == 1
    assert result.output("plus") == 11
    uris = {result.artifact(t.path, "out").uri for t in loop_tasks}
    assert len(uris) == 3
