"""Container components: every placeholder the SDK emits, IfPresent/Concat nested, env."""

import json
from typing import Optional

from kfp import dsl
from kfp.dsl import Dataset, Input, Output, OutputPath

from headrace.states import RunState, TaskState

from .conftest import Harness

# The program a container runs: it reports its argv and environment, writes its artifact, and
# sets one output parameter through the executor output file.
SCRIPT = """
import json, os, sys
args = sys.argv[1:]
values = dict(zip(args[0::2], args[1::2]))
with open(values["--out"], "w") as f:
    f.write("artifact from " + values["--text"])
report = {"args": args, "env": {k: os.environ.get(k) for k in ("GREETING", "KFP_RETRY_INDEX")}}
with open(values["--result"], "w") as f:
    f.write(json.dumps(report))
with open(values["--executor-output"], "w") as f:
    json.dump({"parameterValues": {"via_executor_output": "set by executor output"}}, f)
"""


@dsl.component
def make_data(out: Output[Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write("input data")
    out.metadata["rows"] = 12
    out.metadata["origin"] = "make-data"


@dsl.container_component
def everything(
    text: str,
    count: int,
    ratio: float,
    options: dict,
    data: Input[Dataset],
    out: Output[Dataset],
    result: OutputPath(str),
    via_executor_output: OutputPath(str),
    opt: Optional[str] = None,  # noqa: UP045 (kfp reads typing.Optional, not `X | None`)
    absent: Optional[str] = None,  # noqa: UP045
):
    return dsl.ContainerSpec(
        image="python:3.11-slim",
        command=["python3", "-c", SCRIPT],
        args=[
            "--text",
            text,
            "--count",
            count,
            "--ratio",
            ratio,
            "--options",
            options,
            "--in-path",
            data.path,
            "--in-uri",
            data.uri,
            "--in-metadata",
            data.metadata,
            "--in-rows",
            data.metadata["rows"],
            "--out",
            out.path,
            "--out-uri",
            out.uri,
            "--result",
            result,
            "--executor-output",
            dsl.PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER,
            "--executor-input",
            dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER,
            "--job-name",
            dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
            "--job-resource",
            dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER,
            "--job-id",
            dsl.PIPELINE_JOB_ID_PLACEHOLDER,
            "--task-name",
            dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
            "--task-id",
            dsl.PIPELINE_TASK_ID_PLACEHOLDER,
            "--created",
            dsl.PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER,
            "--scheduled",
            dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER,
            "--root",
            dsl.PIPELINE_ROOT_PLACEHOLDER,
            dsl.IfPresentPlaceholder(
                input_name="opt", then=["--opt", opt], else_=["--opt", "none"]
            ),
            dsl.IfPresentPlaceholder(
                input_name="absent", then=["--absent", absent], else_=["--absent", "missing"]
            ),
            "--concat",
            dsl.ConcatPlaceholder(
                [
                    "pre-",
                    text,
                    "-",
                    dsl.IfPresentPlaceholder(
                        input_name="opt",
                        then=dsl.ConcatPlaceholder(["[", opt, "]"]),
                        else_="no-opt",
                    ),
                    dsl.ConcatPlaceholder(["-", count]),
                ]
            ),
        ],
    )


@dsl.pipeline(name="placeholders")
def placeholders(text: str = "hello", opt: str = "chosen"):
    data = make_data().set_caching_options(False)
    task = everything(
        text=text,
        count=3,
        ratio=0.5,
        options={"k": [1, 2]},
        data=data.outputs["out"],
        opt=opt,
    ).set_caching_options(False)
    task.set_env_variable("GREETING", "hi there")


def test_every_placeholder_resolves(harness: Harness) -> None:
    result = harness.run(placeholders, {"text": "hello", "opt": "chosen"})
    assert result.state is RunState.SUCCEEDED, result.run.error
    task = result.task("everything")
    assert task.state is TaskState.SUCCEEDED and task.attempt_count == 1
    assert task.image == "python:3.11-slim"
    report = json.loads(result.output("everything", "result"))
    args = report["args"]
    values = dict(zip(args[0::2], args[1::2], strict=True))
    data = result.artifact("make-data", "out")
    out = result.artifact("everything", "out")
    assert values["--text"] == "hello"
    assert values["--count"] == "3"
    assert values["--ratio"] == "0.5"
    assert json.loads(values["--options"]) == {"k": [1, 2]}
    assert values["--in-uri"] == data.uri
    with open(values["--in-path"]) as f:
        assert f.read() == "input data"
    assert json.loads(values["--in-metadata"]) == {"rows": 12, "origin": "make-data"}
    assert values["--in-rows"] == "12"
    assert values["--out-uri"] == out.uri
    assert result.artifact_text("everything", "out") == "artifact from hello"
    executor_input = json.loads(values["--executor-input"])
    assert executor_input["inputs"]["parameterValues"]["text"] == "hello"
    assert executor_input["outputs"]["outputFile"] == values["--executor-output"]
    assert values["--job-name"] == result.run.display_name == "placeholders"
    assert values["--job-resource"] == result.run.id
    assert values["--job-id"] == result.run.id
    assert values["--task-name"] == "everything"
    assert values["--task-id"] == task.id
    assert values["--created"].startswith(str(result.run.created_at.year))
    assert values["--scheduled"].endswith("Z")
    assert values["--root"] == str(harness.pipeline_root)
    assert values["--opt"] == "chosen"
    assert values["--absent"] == "missing"
    assert values["--concat"] == "pre-hello-[chosen]-3"
    assert report["env"] == {"GREETING": "hi there", "KFP_RETRY_INDEX": "0"}
    assert result.output("everything", "via_executor_output") == "set by executor output"


@dsl.pipeline(name="placeholders-absent")
def placeholders_without_opt():
    data = make_data().set_caching_options(False)
    everything(
        text="t", count=1, ratio=2.0, options={}, data=data.outputs["out"]
    ).set_caching_options(False)


def test_if_present_else_branches_when_inputs_are_absent(harness: Harness) -> None:
    result = harness.run(placeholders_without_opt)
    assert result.state is RunState.SUCCEEDED, result.run.error
    args = json.loads(result.output("everything", "result"))["args"]
    values = dict(zip(args[0::2], args[1::2], strict=True))
    assert values["--opt"] == "none"
    assert values["--concat"] == "pre-t-no-opt-1"
    assert values["--ratio"] == "2.0" or values["--ratio"] == "2"


@dsl.component
def context_defaults(
    job: str = dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
    job_id: str = dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    task: str = dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
    task_id: str = dsl.PIPELINE_TASK_ID_PLACEHOLDER,
) -> str:
    return "|".join([job, job_id, task, task_id])


@dsl.pipeline(name="context-params")
def context_params():
    context_defaults().set_caching_options(False)


def test_pipeline_placeholders_as_lightweight_parameter_values(harness: Harness) -> None:
    result = harness.run(context_params)
    assert result.state is RunState.SUCCEEDED, result.run.error
    task = result.task("context-defaults")
    assert result.output("context-defaults") == "|".join(
        ["context-params", result.run.id, "context-defaults", task.id]
    )


@dsl.container_component
def missing_program():
    return dsl.ContainerSpec(image="alpine:3.20", command=["headrace-no-such-program"], args=["x"])


@dsl.pipeline
def missing():
    missing_program()


def test_missing_command_is_refused_clearly(harness: Harness) -> None:
    from headrace.errors import HeadraceError

    try:
        harness.run(missing)
    except HeadraceError as exc:
        text = str(exc)
    else:  # pragma: no cover - the assertion below reports it
        text = ""
    assert "headrace-no-such-program" in text
    assert "alpine:3.20" in text and "not pulled" in text
