"""A failing task: running branches finish, its dependents never start, the run says why."""

from kfp import dsl

from headrace.states import RunState, TaskState

from .conftest import Harness


@dsl.component
def slow(marker: str, seconds: float) -> str:
    import time

    time.sleep(seconds)
    with open(marker, "a") as f:
        f.write("slow finished\n")
    return "slow"


@dsl.component
def boom(message: str) -> str:
    print("about to fail:", message)
    raise ValueError(message)


@dsl.component
def follow(text: str) -> str:
    return "after " + text


@dsl.pipeline
def partial_failure(marker: str):
    running = slow(marker=marker, seconds=1.5).set_caching_options(False)
    follow(text=running.output).set_caching_options(False)
    failed = boom(message="disk on fire").set_caching_options(False)
    dependent = follow(text=failed.output).set_caching_options(False)
    follow(text=dependent.output).set_caching_options(False)


def test_independent_branch_finishes_and_dependents_never_start(harness: Harness) -> None:
    marker = harness.tmp / "marker.txt"
    result = harness.run(partial_failure, {"marker": str(marker)})
    assert result.state is RunState.FAILED
    assert result.task("boom").state is TaskState.FAILED
    assert len(result.attempts("boom")) == 1
    assert result.attempts("boom")[0].exit_code not in (None, 0)
    assert "disk on fire" in result.logs("boom")[0]
    # The branch that was running when boom failed ran to its end.
    assert result.task("slow").state is TaskState.SUCCEEDED
    assert marker.read_text() == "slow finished\n"
    # Headrace keeps scheduling what does not depend on the failure (Argo's failFast would not).
    assert result.output("follow") == "after slow"
    # The dependents of the failure never started: no attempt, state SKIPPED.
    for path in ("follow-2", "follow-3"):
        assert result.task(path).state is TaskState.SKIPPED
        assert result.attempts(path) == []
    assert result.task("").state is TaskState.FAILED
    assert result.run.error is not None
    assert "'boom'" in result.run.error
    assert "disk on fire" in result.run.error or "exited with code" in result.run.error


@dsl.pipeline
def inner_fails():
    boom(message="inner").set_caching_options(False)


@dsl.pipeline
def nested_failure():
    sub = inner_fails()
    follow(text="x").set_caching_options(False).after(sub)


def test_failure_inside_a_sub_pipeline_fails_the_run(harness: Harness) -> None:
    result = harness.run(nested_failure)
    assert result.state is RunState.FAILED
    assert result.task("inner-fails/boom").state is TaskState.FAILED
    assert result.task("inner-fails").state is TaskState.FAILED
    assert result.task("follow").state is TaskState.SKIPPED
    assert result.run.error is not None and "inner-fails/boom" in result.run.error
