"""The Ray executor beside the local one: W2 (fan-out 100) and W3 (ParallelFor 1,000), same run.

Not named ray.py: as a script its directory comes first on sys.path, and `import ray` would
import itself. Starts a two-node Ray cluster on 127.0.0.1 (ray.cluster_utils, a head without
CPUs and two nodes sharing this machine's cores), runs each workload once per executor with the
same task slots, and rewrites its section of docs/benchmarks.md.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # loopback only, before ray is imported

from _common import machine, write_section
from kfp import compiler
from ray.cluster_utils import Cluster
from run import w2_fanout, w3_loop

import ray
from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.executors.base import Executor
from headrace.executors.ray_tasks import RayExecutor
from headrace.service.runs import RunRequest, create_run, run_engine
from headrace.spec.loader import load_pipeline
from headrace.states import RunState
from headrace.store import Store

WORKLOADS = [
    ("W2 fan-out 100 + fan-in", w2_fanout, 101),
    ("W3 ParallelFor 1,000, parallelism=8", w3_loop, 1000),
]
_MB = 1024 * 1024


def start_cluster(node_cpus: int) -> tuple[Cluster, float]:
    began = time.perf_counter()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 0,
            "node_ip_address": "127.0.0.1",
            "include_dashboard": False,
            "object_store_memory": 100 * _MB,
        },
    )
    for _ in range(2):
        cluster.add_node(
            num_cpus=node_cpus, node_ip_address="127.0.0.1", object_store_memory=100 * _MB
        )
    cluster.wait_for_nodes()
    cluster.connect()
    return cluster, time.perf_counter() - began


def run_once(workdir: Path, kind: str, pipeline: Any, slots: int) -> float:
    """Wall seconds of create_run + RunEngine.execute for one fresh run."""
    path = workdir / f"{pipeline.name}.yaml"
    if not path.exists():
        compiler.Compiler().compile(pipeline, str(path))
    loaded = load_pipeline(path)
    home = workdir / f"home-{kind}"
    store = Store.connect(f"sqlite:///{workdir}/{kind}.db")
    executor: Executor
    if kind == "ray":
        executor = RayExecutor(home=home)
    else:
        executor = LocalExecutor(envs=PythonEnvCache(home / "envs"))
    try:
        began = time.perf_counter()
        record = create_run(
            store,
            RunRequest(
                pipeline=loaded,
                parameters={},
                pipeline_root=str(workdir / "artifacts"),
                cache_enabled=False,
            ),
        )
        run = run_engine(store, executor, home, slots).execute(record.id)
        wall = time.perf_counter() - began
    finally:
        executor.shutdown()
        store.close()
    if run.state is not RunState.SUCCEEDED:
        raise SystemExit(f"{pipeline.name} on {kind}: {run.state.value}: {run.error}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    args = parser.parse_args()
    cpus = os.cpu_count() or 1
    node_cpus = max(1, cpus // 2)
    slots = 2 * node_cpus
    load_before = os.getloadavg()[0]
    cluster, startup = start_cluster(node_cpus)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="headrace-bench-ray-") as scratch:
            workdir = Path(scratch)
            for kind in ("local", "ray"):  # an unmeasured warm-up: Ray workers import Headrace
                run_once(workdir, kind, w2_fanout, slots)
            for label, pipeline, tasks in WORKLOADS:
                walls = {
                    kind: run_once(workdir, kind, pipeline, slots) for kind in ("local", "ray")
                }
                rows.append((label, tasks, walls))
                print(label, {k: f"{v:.1f}s" for k, v in walls.items()}, file=sys.stderr)
    finally:
        ray.shutdown()
        cluster.shutdown()
    load_after = os.getloadavg()[0]
    text = report(rows, slots, node_cpus, startup, (load_before, load_after))
    write_section(args.output, "bench/ray_cluster.py", text)


def report(
    rows: list[tuple[str, int, dict[str, float]]],
    slots: int,
    node_cpus: int,
    startup: float,
    load: tuple[float, float],
) -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        "## Ray executor vs local executor (issue 7)",
        "",
        f"Measured {today} on {machine()} by `make bench-ray` (`bench/ray_cluster.py`): a Ray "
        f"{ray.__version__} cluster started on this machine with `ray.cluster_utils.Cluster` (a "
        f"head without CPUs and two nodes of {node_cpus} CPU each, all on 127.0.0.1; started in "
        f"{startup:.1f} s, not counted), and the local executor, both with {slots} task slots "
        "(max-parallel). Each workload ran once per executor after one unmeasured W2 run each "
        "(Ray's workers import Headrace on first use). Every task is a no-op lightweight Python "
        "component, so the times are orchestration cost. On Ray every attempt is one Ray task "
        "that starts the program as a process on its node, streams its log back and reports; "
        "on one machine that costs more than a local process, which is the price of being "
        f"able to use many machines. 1-minute load average {load[0]:.1f} at the start, "
        f"{load[1]:.1f} at the end (the machine was shared).",
        "",
        "*ms/task* is the slot-time one task costs: wall x task slots / tasks, as in the "
        "issue-5 table above.",
        "",
        "| workload | tasks | local wall s | Ray wall s | local ms/task | Ray ms/task "
        "| Ray / local |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, tasks, walls in rows:
        local, on_ray = walls["local"], walls["ray"]
        lines.append(
            f"| {label} | {tasks} | {local:.1f} | {on_ray:.1f} | "
            f"{local * slots / tasks * 1000:.0f} | {on_ray * slots / tasks * 1000:.0f} | "
            f"{on_ray / local:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
