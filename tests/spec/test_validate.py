"""Validation of the IR: every reference resolves, no cycles, conditions parse."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
from kfp import dsl

from headrace.errors import ConditionError, PipelineSpecError
from headrace.spec.loader import LoadedPipeline, load_pipeline_dicts


@dsl.component(base_image="python:3.11")
def produce() -> str:
    return "heads"


@dsl.component(base_image="python:3.11")
def consume(text: str) -> str:
    return text


@dsl.pipeline
def two_steps() -> None:
    first = produce()
    consume(text=first.output)


@dsl.pipeline
def inner(text: str) -> str:
    return consume(text=text).output


@dsl.pipeline
def everything(flag: str = "a") -> None:
    exit_task = consume(text="bye")
    with dsl.ExitHandler(exit_task):
        first = produce()
        with dsl.If(first.output == "heads"):
            consume(text=first.output)
        with dsl.Elif(first.output == "tails"):
            consume(text="t")
        with dsl.Else():
            consume(text="e")
        with dsl.ParallelFor(["a", "b"], parallelism=1) as item:
            inner(text=item)
        with dsl.ParallelFor([{"k": "v"}]) as row:
            consume(text=row.k)


Compile = Callable[[Any], LoadedPipeline]


@pytest.fixture
def base(compile_pipeline: Compile) -> dict[str, Any]:
    spec: dict[str, Any] = compile_pipeline(two_steps).spec_dict()
    return spec


def _load(spec: dict[str, Any]) -> LoadedPipeline:
    return load_pipeline_dicts(spec, None, "bad.yaml")


def test_pipelines_using_every_control_flow_construct_validate(compile_pipeline: Compile) -> None:
    loaded = compile_pipeline(everything)
    assert loaded.name == "everything"


def test_unknown_component_ref_names_task_and_component(base: dict[str, Any]) -> None:
    spec = copy.deepcopy(base)
    spec["root"]["dag"]["tasks"]["consume"]["componentRef"]["name"] = "comp-missing"
    with pytest.raises(PipelineSpecError) as err:
        _load(spec)
    assert "'consume'" in str(err.value) and "'comp-missing'" in str(err.value)
    assert "bad.yaml" in str(err.value)


def test_component_whose_executor_is_missing_is_rejected(base: dict[str, Any]) -> None:
    spec = copy.deepcopy(base)
    del spec["deploymentSpec"]["executors"]["exec-consume"]
    with pytest.raises(PipelineSpecError, match=r"'comp-consume'.*'exec-consume'"):
        _load(spec)


def test_unknown_dependent_task_names_task_and_dependency(base: dict[str, Any]) -> None:
    spec = copy.deepcopy(base)
    spec["root"]["dag"]["tasks"]["consume"]["dependentTasks"] = ["produce", "ghost"]
    with pytest.raises(PipelineSpecError, match=r"'consume' depends on task 'ghost'"):
        _load(spec)


def test_unknown_producer_task_names_task_and_producer(base: dict[str, Any]) -> None:
    spec = copy.deepcopy(base)
    parameters = spec["root"]["dag"]["tasks"]["consume"]["inputs"]["parameters"]
    parameters["text"]["taskOutputParameter"]["producerTask"] = "ghost"
    with pytest.raises(PipelineSpecError, match=r"'consume' takes an input from task 'ghost'"):
        _load(spec)


def test_dependency_cycle_is_reported_with_its_tasks(base: dict[str, Any]) -> None:
    spec = copy.deepcopy(base)
    spec["root"]["dag"]["tasks"]["produce"]["dependentTasks"] = ["consume"]
    with pytest.raises(PipelineSpecError, match=r"cycle: .*consume.*produce"):
        _load(spec)


def test_condition_that_is_not_cel_names_task_and_expression(base: dict[str, Any]) -> None:
    spec = copy.deepcopy(base)
    expression = "inputs.parameter_values['x'] === 'a'"
    spec["root"]["dag"]["tasks"]["consume"]["triggerPolicy"] = {"condition": expression}
    with pytest.raises(ConditionError) as err:
        _load(spec)
    assert "'consume'" in str(err.value) and expression in str(err.value)


def test_resolver_executors_are_not_supported(base: dict[str, Any]) -> None:
    spec = copy.deepcopy(base)
    spec["deploymentSpec"]["executors"]["exec-consume"] = {
        "resolver": {"outputArtifactQueries": {}}
    }
    with pytest.raises(PipelineSpecError, match=r"resolver executor 'exec-consume'"):
        _load(spec)
