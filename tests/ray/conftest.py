"""A real two-node Ray cluster on 127.0.0.1 (plus a head without CPUs), and runs on it."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kfp import compiler

# Before ray is imported: drivers and workers take the loopback address as their node's (the
# nodes themselves are given node_ip_address=127.0.0.1), so nothing binds a public interface.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

from ray.cluster_utils import Cluster

import ray
from headrace.engine import RunEngine
from headrace.executors.ray_tasks import RayExecutor
from headrace.service.runs import RunRequest, create_run, run_engine
from headrace.spec.loader import load_pipeline
from headrace.storage.settings import StorageSettings
from headrace.store import Store
from headrace.store.records import RunRecord

NODE_CPUS = 2
_OBJECT_STORE = 80 * 1024 * 1024
_NODE_LINE = re.compile(r"\[headrace\] running on Ray node ([0-9a-f]+) at ")


def node_args(zone: str) -> dict[str, Any]:
    return {
        "num_cpus": NODE_CPUS,
        "node_ip_address": "127.0.0.1",
        "object_store_memory": _OBJECT_STORE,
        "labels": {"zone": zone},
    }


@dataclass
class RayCluster:
    cluster: Cluster
    nodes: dict[str, Any]
    """zone label -> the worker node started with it."""

    def node_id(self, zone: str) -> str:
        return str(self.nodes[zone].node_id)

    def zone_of(self, node_id: str) -> str:
        return next(zone for zone, node in self.nodes.items() if node.node_id == node_id)

    def replace(self, zone: str) -> None:
        """Remove a zone's node at once (like a machine dying), or start it again when gone."""
        node = self.nodes.pop(zone, None)
        if node is not None:
            self.cluster.remove_node(node, allow_graceful=False)
        else:
            self.nodes[zone] = self.cluster.add_node(**node_args(zone))


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    """Head (no CPUs, so tasks never land on it) and nodes labelled zone=a and zone=b."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 0,
            "node_ip_address": "127.0.0.1",
            "include_dashboard": False,
            "object_store_memory": _OBJECT_STORE,
        },
    )
    try:
        nodes = {zone: cluster.add_node(**node_args(zone)) for zone in ("a", "b")}
        cluster.wait_for_nodes()
        cluster.connect()
        yield RayCluster(cluster, nodes)
    finally:
        ray.shutdown()
        cluster.shutdown()


@dataclass
class Started:
    """A run executing in a background thread."""

    run_id: str
    engine: RunEngine
    executor: RayExecutor
    thread: threading.Thread
    result: dict[str, Any] = field(default_factory=dict)

    def wait(self, timeout: float = 120) -> RunRecord:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the run did not end"
        if "error" in self.result:
            raise self.result["error"]
        run: RunRecord = self.result["run"]
        return run


@dataclass
class RayHarness:
    tmp: Path
    store: Store
    cluster: RayCluster
    storage: StorageSettings | None = None
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    compiled: int = 0

    @property
    def pipeline_root(self) -> str:
        return self.storage.pipeline_root if self.storage else str(self.tmp / "artifacts")

    def start(
        self,
        pipeline: Callable[..., Any],
        arguments: dict[str, Any] | None = None,
        max_parallel: int = 4,
    ) -> Started:
        self.compiled += 1
        path = self.tmp / f"pipeline-{self.compiled}.yaml"
        compiler.Compiler().compile(pipeline, str(path))
        record = create_run(
            self.store,
            RunRequest(
                pipeline=load_pipeline(path),
                parameters=dict(arguments or {}),
                pipeline_root=self.pipeline_root,
                cache_enabled=False,
            ),
        )
        executor = RayExecutor(home=self.tmp / "home")
        storage = self.storage
        engine = run_engine(
            self.store,
            executor,
            self.tmp / "home",
            max_parallel,
            storage_for=(lambda _ns: storage) if storage is not None else None,
            secrets=self.secrets,
        )
        started = Started(record.id, engine, executor, threading.Thread(target=lambda: None))

        def work() -> None:
            try:
                started.result["run"] = engine.execute(record.id)
            except BaseException as exc:
                started.result["error"] = exc
            finally:
                executor.shutdown()

        started.thread = threading.Thread(target=work, daemon=True)
        started.thread.start()
        return started

    def run(
        self, pipeline: Callable[..., Any], arguments: dict[str, Any] | None = None
    ) -> RunRecord:
        return self.start(pipeline, arguments).wait()

    def node_ids(self, run_id: str, task_name: str | None = None) -> list[str]:
        """The Ray node of every attempt (of tasks with this name), from the attempts' logs."""
        tasks = {t.id: t for t in self.store.list_tasks(run_id)}
        found = []
        for attempt in self.store.list_attempts(run_id=run_id):
            if task_name is not None and tasks[attempt.task_id].name != task_name:
                continue
            log = Path(attempt.log_path)
            match = _NODE_LINE.search(log.read_text()) if log.exists() else None
            if match:
                found.append(match.group(1))
        return found

    def wait_for_node(self, run_id: str, task_name: str, timeout: float = 60) -> str:
        """The node the first attempt of a task was placed on, once its log says so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.node_ids(run_id, task_name)
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"task {task_name} of run {run_id} never started on a Ray node")


@pytest.fixture
def harness(tmp_path: Path, ray_cluster: RayCluster) -> Iterator[RayHarness]:
    store = Store.connect(f"sqlite:///{tmp_path}/headrace.db")
    try:
        yield RayHarness(tmp_path, store, ray_cluster)
    finally:
        store.close()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
