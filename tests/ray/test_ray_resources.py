"""Task resources as Ray requests, and the reason no node of a cluster could run one."""

from pathlib import Path
from typing import Any

from headrace.executors._ray_resources import (
    RayRequest,
    ray_accelerator_type,
    ray_request,
    selector_matches,
    why_infeasible,
)
from headrace.executors.base import AttemptSpec
from headrace.spec.placement import Placement
from headrace.spec.resources import Resources


def _spec(resources: Resources, labels: dict[str, str] | None = None) -> AttemptSpec:
    return AttemptSpec(
        run_id="r",
        task_id="t",
        task_path="train",
        attempt_number=0,
        image="python:3.11",
        argv=["true"],
        env={},
        workdir=Path("/tmp"),
        log_path=Path("/tmp/log"),
        executor_input={},
        resources=resources,
        placement=Placement(node_labels=labels or {}),
    )


def _node(node_id: str, labels: dict[str, str] | None = None, **resources: float) -> dict[str, Any]:
    return {
        "NodeID": node_id,
        "Alive": True,
        "NodeManagerAddress": "10.0.0.1",
        "Resources": resources,
        "Labels": labels or {},
    }


def test_cpu_memory_and_gpus_become_ray_task_options() -> None:
    spec = _spec(
        Resources(
            cpu=2.5,
            memory_bytes=2 * 1024**3,
            accelerator_type="NVIDIA_TESLA_T4",
            accelerator_count=1,
        ),
        {"zone": "b"},
    )
    options = ray_request(spec).task_options()
    assert options == {
        "num_cpus": 2.5,
        "num_gpus": 1.0,
        "memory": 2 * 1024**3,
        "resources": {"accelerator_type:T4": 0.001},
        "label_selector": {"zone": "b"},
    }


def test_no_request_is_one_cpu_and_tpus_are_their_own_resource() -> None:
    assert ray_request(_spec(Resources())).resources == {"CPU": 1.0}
    tpu = ray_request(_spec(Resources(accelerator_type="TPU_V4", accelerator_count=4)))
    assert tpu.resources == {"CPU": 1.0, "TPU": 4.0}


def test_accelerator_names_map_to_ray_gpu_types() -> None:
    assert ray_accelerator_type("NVIDIA_TESLA_A100") == "A100"
    assert ray_accelerator_type("NVIDIA_H100") == "H100"
    assert ray_accelerator_type("nvidia.com/gpu") is None
    assert ray_accelerator_type("") is None


def test_label_selector_values() -> None:
    assert selector_matches("b", "b") and not selector_matches("b", "a")
    assert selector_matches("!spot", "ondemand") and selector_matches("!spot", None)
    assert selector_matches("in(ssd,nvme)", "nvme") and not selector_matches("in(ssd,nvme)", None)
    assert selector_matches("!in(a,b)", "c") and not selector_matches("!in(a,b)", "a")


def test_infeasible_requests_name_the_resource_and_the_largest_node() -> None:
    nodes = [_node("small", CPU=2.0, memory=4e9), _node("big", CPU=8.0, memory=2e9)]
    cpu = why_infeasible("train", RayRequest({"CPU": 16.0}, {}), nodes)
    assert cpu is not None and "requests 16 CPU" in cpu and "(big at 10.0.0.1) has 8 CPU" in cpu
    gpu = why_infeasible("train", RayRequest({"CPU": 1.0, "GPU": 1.0}, {}), nodes)
    assert gpu is not None and "requests 1 GPU" in gpu and "has 0 GPU" in gpu
    both = why_infeasible("train", RayRequest({"CPU": 4.0, "memory": 3e9}, {}), nodes)
    assert both is not None and "no single Ray node has all of them" in both
    assert why_infeasible("train", RayRequest({"CPU": 8.0}, {}), nodes) is None


def test_only_alive_nodes_with_the_labels_count() -> None:
    dead = {**_node("dead", CPU=64.0), "Alive": False}
    nodes = [dead, _node("a", {"zone": "a"}, CPU=8.0), _node("b", {"zone": "b"}, CPU=2.0)]
    assert why_infeasible("train", RayRequest({"CPU": 32.0}, {}), nodes) is not None
    zone_b = why_infeasible("train", RayRequest({"CPU": 4.0}, {"zone": "b"}), nodes)
    assert zone_b is not None and "(b at 10.0.0.1) has 2 CPU" in zone_b
    nowhere = why_infeasible("train", RayRequest({"CPU": 1.0}, {"zone": "c"}), nodes)
    assert nowhere is not None and "labelled zone=c" in nowhere
