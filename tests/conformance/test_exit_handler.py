"""dsl.ExitHandler with PipelineTaskFinalStatus, and .ignore_upstream_failure()."""

from kfp import dsl
from kfp.dsl import PipelineTaskFinalStatus

from headrace.states import RunState, TaskState

from .conftest import Harness


@dsl.component
def work(fail: bool) -> str:
    if fail:
        raise RuntimeError("work failed on purpose")
    return "worked"


@dsl.component
def report(status: PipelineTaskFinalStatus) -> str:
    import json

    return json.dumps(
        {
            "state": status.state,
            "task": status.pipeline_task_name,
            "job": status.pipeline_job_resource_name,
            "code": status.error_code,
            "message": status.error_message,
        }
    )


@dsl.component
def cleanup(text: str) -> str:
    return "cleaned " + text


@dsl.pipeline
def guarded(fail: bool = False):
    final = report().set_caching_options(False)
    with dsl.ExitHandler(final, name="guarded-work"):
        work(fail=fail).set_caching_options(False)


def test_exit_task_runs_on_success_with_final_status(harness: Harness) -> None:
    import json

    result = harness.run(guarded, {"fail": False})
    assert result.state is RunState.SUCCEEDED
    status = json.loads(result.output("report"))
    assert status["state"] == "SUCCEEDED"
    # Kubeflow reports the task's display name (taskInfo.name), which ExitHandler(name=) sets.
    assert status["task"] == "guarded-work"
    assert status["job"] == result.run.id
    assert result.task("report").state is TaskState.SUCCEEDED


def test_exit_task_runs_on_failure_and_the_run_still_fails(harness: Harness) -> None:
    import json

    result = harness.run(guarded, {"fail": True})
    assert result.state is RunState.FAILED
    assert result.task("exit-handler-1/work").state is TaskState.FAILED
    assert result.task("exit-handler-1").state is TaskState.FAILED
    assert result.task("report").state is TaskState.SUCCEEDED
    assert len(result.attempts("report")) == 1
    status = json.loads(result.output("report"))
    assert status["state"] == "FAILED"
    assert status["task"] == "guarded-work"
    assert "work" in status["message"]
    assert result.run.error is not None and "exit-handler-1/work" in result.run.error


@dsl.pipeline
def ignores_failure(fail: bool = True):
    upstream = work(fail=fail).set_caching_options(False)
    cleanup(text="anyway").set_caching_options(False).after(upstream).ignore_upstream_failure()
    cleanup(text="never").set_caching_options(False).after(upstream)


def test_ignore_upstream_failure_runs_after_a_failed_task(harness: Harness) -> None:
    result = harness.run(ignores_failure, {"fail": True})
    assert result.state is RunState.FAILED
    assert result.task("work").state is TaskState.FAILED
    assert result.output("cleanup") == "cleaned anyway"
    assert result.task("cleanup-2").state is TaskState.SKIPPED
    assert result.attempts("cleanup-2") == []
    ok = harness.run(ignores_failure, {"fail": False})
    assert ok.state is RunState.SUCCEEDED
    assert ok.output("cleanup") == "cleaned anyway"
    assert ok.output("cleanup-2") == "cleaned never"


@dsl.component
def echo_or_default(message: str = "default") -> str:
    return message


@dsl.pipeline
def reads_failed_output(fail: bool = True):
    upstream = work(fail=fail).set_caching_options(False)
    echo_or_default(message=upstream.output).set_caching_options(False).ignore_upstream_failure()


def test_ignore_upstream_failure_falls_back_to_the_input_default(harness: Harness) -> None:
    # kfp's own sample (pipeline_with_task_using_ignore_upstream_failure): the output of a failed
    # task is missing, so the consumer gets its default.
    failed = harness.run(reads_failed_output, {"fail": True})
    assert failed.state is RunState.FAILED
    assert failed.output("echo-or-default") == "default"
    ok = harness.run(reads_failed_output, {"fail": False})
    assert ok.output("echo-or-default") == "worked"
