"""A task's resources and placement as Ray task options, and whether any node can ever run it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headrace.executors.base import AttemptSpec

# A type constraint is a sliver of a custom resource every node of that type advertises; this is
# what Ray's own `accelerator_type` option asks for.
_TYPE_SLIVER = 0.001
_NVIDIA_PREFIX = re.compile(r"^(?:nvidia\.com/|NVIDIA[_-](?:TESLA[_-])?)", re.IGNORECASE)
_GENERIC_GPU = {"gpu", "nvidia.com/gpu", "nvidia_gpu", "nvidia-gpu"}


@dataclass(frozen=True)
class RayRequest:
    """What one attempt asks of Ray: its resources and its node label selector."""

    resources: dict[str, float]
    """Ray resource name (CPU, memory, GPU, TPU, accelerator_type:X) -> amount."""
    label_selector: dict[str, str]

    def task_options(self) -> dict[str, Any]:
        """Keyword arguments for `remote_function.options(...)`."""
        custom = {k: v for k, v in self.resources.items() if k not in ("CPU", "GPU", "memory")}
        options: dict[str, Any] = {
            "num_cpus": self.resources.get("CPU", 0.0),
            "num_gpus": self.resources.get("GPU", 0.0),
        }
        if "memory" in self.resources:
            options["memory"] = int(self.resources["memory"])
        if custom:
            options["resources"] = custom
        if self.label_selector:
            options["label_selector"] = dict(self.label_selector)
        return options


def ray_request(spec: AttemptSpec) -> RayRequest:
    """Resources from set_cpu_*/set_memory_*/set_accelerator_*; one CPU when none is asked."""
    wanted = spec.resources
    resources: dict[str, float] = {"CPU": wanted.cpu if wanted.cpu is not None else 1.0}
    if wanted.memory_bytes:
        resources["memory"] = float(wanted.memory_bytes)
    if wanted.accelerator_count > 0:
        kind = (wanted.accelerator_type or "").strip()
        if kind.upper().startswith("TPU"):
            resources["TPU"] = float(wanted.accelerator_count)
        else:
            resources["GPU"] = float(wanted.accelerator_count)
            model = ray_accelerator_type(kind)
            if model:
                resources[f"accelerator_type:{model}"] = _TYPE_SLIVER
    return RayRequest(resources, dict(spec.placement.node_labels))


def ray_accelerator_type(kind: str) -> str | None:
    """Kubeflow's accelerator name (`NVIDIA_TESLA_T4`, `nvidia.com/gpu`) as Ray names GPUs."""
    if not kind or kind.lower() in _GENERIC_GPU:
        return None
    return _NVIDIA_PREFIX.sub("", kind).replace("_", "-").upper() or None


def selector_matches(selector: str, value: str | None) -> bool:
    """Whether a node's label value satisfies one Ray label selector value."""
    negate = selector.startswith("!")
    body = selector[1:] if negate else selector
    if body.startswith("in(") and body.endswith(")"):
        found = value is not None and value in body[3:-1].split(",")
    else:
        found = value == body
    return found != negate


def why_infeasible(
    task_path: str, request: RayRequest, nodes: Sequence[Mapping[str, Any]]
) -> str | None:
    """Why no alive node of the cluster could ever run the request; None when one can."""
    alive = [n for n in nodes if n.get("Alive")]
    labelled = [
        n
        for n in alive
        if all(
            selector_matches(sel, (n.get("Labels") or {}).get(key))
            for key, sel in request.label_selector.items()
        )
    ]
    if not labelled:
        wanted = ", ".join(f"{k}={v}" for k, v in request.label_selector.items())
        return (
            f"task {task_path} must run on a node labelled {wanted} (its node selector or "
            f"affinity), but none of the {len(alive)} Ray node(s) has such labels; start a node "
            f"with `ray start --labels` or remove the node selector"
        )
    for name, amount in request.resources.items():
        if any(_total(n, name) >= amount for n in labelled):
            continue
        largest = max(labelled, key=lambda n: _total(n, name))
        return (
            f"task {task_path} requests {_amount(name, amount)} but the largest Ray node "
            f"({largest.get('NodeID', '?')[:12]} at {largest.get('NodeManagerAddress', '?')}) "
            f"has {_amount(name, _total(largest, name))}; no node of the cluster can run it — "
            f"lower the request or add a bigger node"
        )
    for node in labelled:
        if all(_total(node, name) >= amount for name, amount in request.resources.items()):
            return None
    wanted = ", ".join(_amount(k, v) for k, v in request.resources.items())
    return (
        f"task {task_path} requests {wanted} together, and no single Ray node has all of them; "
        "lower the request or add a bigger node"
    )


def _total(node: Mapping[str, Any], name: str) -> float:
    return float((node.get("Resources") or {}).get(name, 0.0))


def _amount(name: str, amount: float) -> str:
    if name == "memory":
        return f"{amount / 1024**3:.2f} GiB of memory"
    if name.startswith("accelerator_type:"):
        present = "an" if amount else "no"
        return f"{present} accelerator of type {name.split(':', 1)[1]}"
    return f"{amount:g} {name}"
