"""Resource requests read from compiled containers."""

from collections.abc import Callable
from typing import Any

import pytest
from kfp import dsl

from headrace.errors import PipelineSpecError
from headrace.spec.loader import LoadedPipeline
from headrace.spec.resources import Resources, parse_resources


@dsl.component(base_image="python:3.11")
def work() -> None:
    pass


def _containers(loaded: LoadedPipeline) -> dict[str, Any]:
    executors = loaded.spec_dict()["deploymentSpec"]["executors"]
    return {label: spec["container"] for label, spec in executors.items()}


def test_limits_requests_and_accelerators_from_compiled_pipeline(
    compile_pipeline: Callable[[Any], LoadedPipeline],
) -> None:
    @dsl.pipeline
    def sized() -> None:
        work().set_cpu_limit("2").set_memory_request("1Gi").set_accelerator_type(
            "nvidia.com/gpu"
        ).set_accelerator_limit(1)
        work().set_cpu_request("500m").set_cpu_limit("4").set_memory_limit("512M")
        work()

    containers = _containers(compile_pipeline(sized))
    assert parse_resources(containers["exec-work"], {}) == Resources(
        cpu=2.0, memory_bytes=1024**3, accelerator_type="nvidia.com/gpu", accelerator_count=1
    )
    assert parse_resources(containers["exec-work-2"], {}) == Resources(
        cpu=0.5, memory_bytes=512 * 1000**2
    )
    assert parse_resources(containers["exec-work-3"], {}) == Resources()


def test_resources_set_from_pipeline_parameters_take_the_input_values(
    compile_pipeline: Callable[[Any], LoadedPipeline],
) -> None:
    @dsl.pipeline
    def dynamic(cpu: str = "1", mem: str = "2Gi", gpu: str = "nvidia.com/gpu", n: int = 2) -> None:
        work().set_cpu_limit(cpu).set_memory_limit(mem).set_accelerator_type(
            gpu
        ).set_accelerator_limit(n)

    container = _containers(compile_pipeline(dynamic))["exec-work"]
    inputs = {
        "pipelinechannel--cpu": "1500m",
        "pipelinechannel--mem": "2Gi",
        "pipelinechannel--gpu": "nvidia.com/gpu",
        "pipelinechannel--n": 2.0,
    }
    assert parse_resources(container, inputs) == Resources(
        cpu=1.5, memory_bytes=2 * 1024**3, accelerator_type="nvidia.com/gpu", accelerator_count=2
    )
    with pytest.raises(PipelineSpecError, match=r"pipelinechannel--cpu"):
        parse_resources(container, {})


def test_message_form_is_accepted(compile_pipeline: Callable[[Any], LoadedPipeline]) -> None:
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    @dsl.pipeline
    def sized() -> None:
        work().set_cpu_request("250m").set_memory_request("64Mi")

    container = _containers(compile_pipeline(sized))["exec-work"]
    message = json_format.ParseDict(
        container, pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec()
    )
    assert parse_resources(message, {}) == Resources(cpu=0.25, memory_bytes=64 * 1024**2)


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"cpuLimit": 2.0, "memoryLimit": 1.5}, Resources(cpu=2.0, memory_bytes=1_500_000_000)),
        ({"resourceMemoryLimit": "1024"}, Resources(memory_bytes=1024)),
        ({"resourceMemoryLimit": "1G"}, Resources(memory_bytes=10**9)),
        ({"resourceMemoryLimit": "1.5Ki"}, Resources(memory_bytes=1536)),
        ({"resourceCpuLimit": "0.5"}, Resources(cpu=0.5)),
        (
            {"accelerator": {"type": "tpu", "count": "4"}},
            Resources(accelerator_type="tpu", accelerator_count=4),
        ),
    ],
)
def test_quantities_and_legacy_fields(resources: dict[str, Any], expected: Resources) -> None:
    assert parse_resources({"resources": resources}, {}) == expected


@pytest.mark.parametrize(
    ("resources", "culprit"),
    [
        ({"resourceCpuLimit": "two"}, "resourceCpuLimit is 'two'"),
        ({"resourceMemoryRequest": "1Gb"}, "resourceMemoryRequest is '1Gb'"),
        ({"accelerator": {"resourceCount": "x"}}, "resourceCount is 'x'"),
        ({"accelerator": {"resourceCount": "-1"}}, "resourceCount is '-1'"),
        ({"cpuLimit": "lots"}, "cpuLimit is 'lots'"),
    ],
)
def test_bad_values_name_the_field_and_value(resources: dict[str, Any], culprit: str) -> None:
    with pytest.raises(PipelineSpecError) as err:
        parse_resources({"resources": resources}, {})
    assert culprit in str(err.value)
