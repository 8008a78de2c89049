"""kfp-kubernetes placement (node selectors, tolerations, node affinity) read per executor."""

from pathlib import Path

from kfp import compiler, dsl, kubernetes

from headrace.spec.loader import load_pipeline
from headrace.spec.placement import Placement, placement_for


@dsl.component
def step() -> None:
    pass


@dsl.pipeline
def placed():
    task = step()
    kubernetes.add_node_selector(task, label_key="zone", label_value="b")
    kubernetes.add_toleration(task, key="gpu", operator="Exists", effect="NoSchedule")
    kubernetes.add_node_affinity(
        task,
        match_expressions=[
            {"key": "disk", "operator": "In", "values": ["ssd", "nvme"]},
            {"key": "pool", "operator": "NotIn", "values": ["spot"]},
            {"key": "arch", "operator": "Exists"},
        ],
    )
    kubernetes.add_node_affinity(
        task, match_expressions=[{"key": "rack", "operator": "In", "values": ["r1"]}], weight=10
    )


def test_selectors_and_required_affinity_become_labels_the_rest_is_said(tmp_path: Path) -> None:
    path = tmp_path / "placed.yaml"
    compiler.Compiler().compile(placed, str(path))
    platform = load_pipeline(path).platform_dict()
    placement = placement_for(platform, "exec-step")
    assert placement.node_labels == {"zone": "b", "disk": "in(ssd,nvme)", "pool": "!spot"}
    ignored = "\n".join(placement.ignored)
    assert "toleration of gpu" in ignored
    assert "node affinity arch Exists" in ignored
    assert "preferred (weighted) node affinity" in ignored


def test_no_platform_spec_means_no_placement() -> None:
    assert placement_for(None, "exec-step") == Placement()
    assert placement_for({"platforms": {}}, "exec-step") == Placement()
