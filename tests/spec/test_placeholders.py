"""Placeholders in compiled container components, resolved against an executor input."""

import json
from collections.abc import Callable
from typing import Any, Optional

import pytest
from kfp import dsl
from kfp.dsl import (
    Artifact,
    ConcatPlaceholder,
    Dataset,
    IfPresentPlaceholder,
    Input,
    Model,
    Output,
    OutputPath,
)

from headrace.errors import PipelineSpecError
from headrace.spec.loader import LoadedPipeline
from headrace.spec.placeholders import PipelineContext, resolve_arguments, resolve_string

CTX = PipelineContext(
    job_name="my-run",
    job_resource_name="run-123",
    job_uuid="uuid-run",
    task_name="train",
    task_uuid="uuid-task",
    create_time_utc="2024-01-01T00:00:00Z",
    schedule_time_utc="2024-01-02T00:00:00Z",
    workspace_path="/ws",
    pipeline_root="file:///root",
)


@dsl.container_component
def everything(
    text: str,
    n: int,
    ds: Input[Dataset],
    arts: Input[list[Artifact]],
    model: Output[Model],
    out_text: OutputPath(str),  # type: ignore[valid-type]
    opt: Optional[str] = None,  # noqa: UP045 - kfp reads this annotation
) -> dsl.ContainerSpec:
    return dsl.ContainerSpec(
        image="alpine",
        command=[
            "sh",
            "-c",
            ConcatPlaceholder(
                [
                    "a-",
                    text,
                    IfPresentPlaceholder(
                        input_name="opt", then=ConcatPlaceholder(["x", opt]), else_="none"
                    ),
                ]
            ),
        ],
        args=[
            IfPresentPlaceholder(input_name="opt", then=["--opt", opt], else_=["--no-opt"]),
            IfPresentPlaceholder(input_name="opt", then=["--only-then", opt]),
            ds.path,
            ds.uri,
            ds.metadata,
            ds.metadata["k"],
            arts,
            model.path,
            model.uri,
            out_text,
            n,
            f"{text}-{n}",
            dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
            dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER,
            dsl.PIPELINE_JOB_ID_PLACEHOLDER,
            dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
            dsl.PIPELINE_TASK_ID_PLACEHOLDER,
            dsl.PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER,
            dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER,
            dsl.PIPELINE_ROOT_PLACEHOLDER,
            dsl.WORKSPACE_PATH_PLACEHOLDER,
            dsl.PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER,
        ],
    )


@dsl.component(base_image="python:3.11")
def make(out: Output[Dataset]) -> None:
    pass


@dsl.component(base_image="python:3.11")
def python_step(x: int) -> int:
    return x


@dsl.pipeline
def pipeline_with_everything() -> None:
    first = make()
    with dsl.ParallelFor([1, 2]):
        many = make()
    everything(text="hi", n=3, ds=first.outputs["out"], arts=dsl.Collected(many.outputs["out"]))
    python_step(x=1)


def _artifact(name: str, uri: str, title: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "uri": uri, "type": {"schemaTitle": title}, "metadata": metadata}


def _executor_input(opt: str | None) -> dict[str, Any]:
    parameters: dict[str, Any] = {"text": "hi", "n": 3}
    if opt is not None:
        parameters["opt"] = opt
    return {
        "inputs": {
            "parameterValues": parameters,
            "artifacts": {
                "ds": {"artifacts": [_artifact("ds", "s3://b/ds", "system.Dataset", {"k": 7})]},
                "arts": {
                    "artifacts": [
                        _artifact("a0", "file:///tmp/a0", "system.Artifact", {}),
                        _artifact("a1", "file:///tmp/a1", "system.Artifact", {}),
                    ]
                },
            },
        },
        "outputs": {
            "parameters": {"out_text": {"outputFile": "/tmp/out/out_text"}},
            "artifacts": {
                "model": {"artifacts": [_artifact("model", "gs://b/model", "system.Model", {})]}
            },
            "outputFile": "/tmp/out/executor_output.json",
        },
    }


@pytest.fixture
def container(compile_pipeline: Callable[[Any], LoadedPipeline]) -> dict[str, Any]:
    executors = compile_pipeline(pipeline_with_everything).spec_dict()["deploymentSpec"]
    result: dict[str, Any] = executors["executors"]
    return result


def test_every_placeholder_the_sdk_emits_resolves(container: dict[str, Any]) -> None:
    spec = container["exec-everything"]["container"]
    executor_input = _executor_input(opt="o")
    command = resolve_arguments(spec["command"], executor_input, CTX)
    args = resolve_arguments(spec["args"], executor_input, CTX)
    assert command == ["sh", "-c", "a-hixo"]
    assert args == [
        "--opt",
        "o",
        "--only-then",
        "o",
        "/s3/b/ds",
        "s3://b/ds",
        '{"k": 7}',
        "7",
        json.dumps(executor_input["inputs"]["artifacts"]["arts"]["artifacts"]),
        "/gcs/b/model",
        "gs://b/model",
        "/tmp/out/out_text",
        "3",
        "hi-3",
        "my-run",
        "run-123",
        "uuid-run",
        "train",
        "uuid-task",
        "2024-01-01T00:00:00Z",
        "2024-01-02T00:00:00Z",
        "file:///root",
        "/ws",
        "/tmp/out/executor_output.json",
    ]


def test_if_present_takes_else_or_nothing_when_input_is_absent(container: dict[str, Any]) -> None:
    spec = container["exec-everything"]["container"]
    executor_input = _executor_input(opt=None)
    assert resolve_arguments(spec["command"], executor_input, CTX)[-1] == "a-hinone"
    args = resolve_arguments(spec["args"], executor_input, CTX)
    assert args[:2] == ["--no-opt", "/s3/b/ds"]


def test_whole_executor_input_is_compact_json_for_python_components(
    container: dict[str, Any],
) -> None:
    spec = container["exec-python-step"]["container"]
    executor_input = {"inputs": {"parameterValues": {"x": 1}}, "outputs": {"outputFile": "/o"}}
    args = resolve_arguments(spec["args"], executor_input, CTX)
    assert args[0] == "--executor_input"
    assert json.loads(args[1]) == executor_input
    assert " " not in args[1]
    assert resolve_arguments(spec["command"], executor_input, CTX) == spec["command"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("raw text", "raw text"),
        (3, "3"),
        (3.0, "3"),
        (2.5, "2.5"),
        (True, "true"),
        (False, "false"),
        ([1, "a"], '[1, "a"]'),
        ({"a": 1}, '{"a": 1}'),
    ],
)
def test_parameter_values_render_strings_raw_and_the_rest_as_json(value: Any, text: str) -> None:
    executor_input = {"inputs": {"parameterValues": {"p": value}}}
    assert resolve_string("{{$.inputs.parameters['p']}}", executor_input, CTX) == text


def test_nested_concat_and_if_present_at_any_depth() -> None:
    item = json.dumps(
        {
            "Concat": [
                "<",
                {
                    "IfPresent": {
                        "InputName": "a",
                        "Then": {"Concat": ["[", "{{$.inputs.parameters['a']}}", "]"]},
                        "Else": {"IfPresent": {"InputName": "b", "Then": "b!", "Else": "none"}},
                    }
                },
                ">",
            ]
        }
    )
    with_a = {"inputs": {"parameterValues": {"a": "A"}}}
    with_b = {"inputs": {"parameterValues": {"b": "B"}}}
    assert resolve_arguments([item], with_a, CTX) == ["<[A]>"]
    assert resolve_arguments([item], with_b, CTX) == ["<b!>"]
    assert resolve_arguments([item], {}, CTX) == ["<none>"]


def test_untaken_branch_may_reference_missing_inputs() -> None:
    item = json.dumps(
        {"IfPresent": {"InputName": "gone", "Then": ["{{$.inputs.parameters['gone']}}"]}}
    )
    assert resolve_arguments(["x", item, "y"], {}, CTX) == ["x", "y"]


def test_json_escape_escapes_the_executor_input_for_embedding_in_json() -> None:
    executor_input = {"inputs": {"parameterValues": {"s": 'a"b'}}}
    embedded = resolve_string('{"x": "{{$.json_escape[1]}}"}', executor_input, CTX)
    assert json.loads(json.loads(embedded)["x"]) == executor_input


def test_text_that_only_looks_like_json_stays_as_it_is() -> None:
    items = ['{"key": "value"}', "{not json", '{"Concat": "oops", "x": 1}']
    assert resolve_arguments(items, {}, CTX) == items


@pytest.mark.parametrize(
    ("item", "culprit"),
    [
        ("{{$.inputs.parameters['nope']}}", "input parameter 'nope'"),
        ("{{$.inputs.artifacts['nope'].path}}", "input artifact 'nope'"),
        ("{{$.outputs.artifacts['nope'].uri}}", "output artifact 'nope'"),
        ("{{$.outputs.parameters['nope'].output_file}}", "output parameter 'nope'"),
        ("{{$.inputs.artifacts['ds'].metadata['zz']}}", "metadata key 'zz'"),
        (
            "{{$.inputs.artifacts['ds'].size}}",
            "unknown placeholder {{$.inputs.artifacts['ds'].size}}",
        ),
        ("{{$.pipeline_mystery}}", "unknown placeholder {{$.pipeline_mystery}}"),
    ],
)
def test_unknown_or_missing_references_name_the_placeholder(item: str, culprit: str) -> None:
    executor_input = _executor_input(opt=None)
    with pytest.raises(PipelineSpecError) as err:
        resolve_arguments([item], executor_input, CTX)
    assert culprit in str(err.value)
    assert "'train'" in str(err.value)


def test_workspace_placeholder_without_a_workspace_says_to_configure_one() -> None:
    ctx = PipelineContext("j", "r", "u", "t", "tu", "c", "s")
    with pytest.raises(PipelineSpecError, match=r"workspace"):
        resolve_string("{{$.workspace_path}}/data", {}, ctx)
