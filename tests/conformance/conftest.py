"""Run `@dsl.pipeline` functions end to end: kfp compiler → loader → store → engine → executor."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kfp import compiler

from headrace.executors import PythonEnvCache, WarmExecutor
from headrace.service.runs import RunRequest, create_run, run_engine
from headrace.spec.loader import load_pipeline
from headrace.spec.uris import local_path_for_uri
from headrace.states import RunState, TaskState
from headrace.storage.layout import read_log
from headrace.store import Store
from headrace.store.records import ArtifactRecord, AttemptRecord, RunRecord, TaskRecord


@dataclass
class RunResult:
    """One finished run, with helpers to look at its tasks, outputs, artifacts and logs."""

    store: Store
    run: RunRecord
    tasks: list[TaskRecord] = field(default_factory=list)

    @property
    def state(self) -> RunState:
        return self.run.state

    def task(self, path: str) -> TaskRecord:
        """The task at a path such as `for-loop-2/iteration-0/square`."""
        for t in self.tasks:
            if t.path == path:
                return t
        known = "\n  ".join(sorted(t.path for t in self.tasks))
        raise KeyError(f"no task at {path!r}; tasks:\n  {known}")

    def named(self, name: str) -> list[TaskRecord]:
        """Every task with this name, wherever it sits in the tree, in creation order."""
        return [t for t in self.tasks if t.name == name]

    def states(self) -> dict[str, TaskState]:
        return {t.path: t.state for t in self.tasks if t.path}

    def outputs(self, path: str) -> dict[str, Any]:
        return dict(self.task(path).outputs)

    def output(self, path: str, key: str = "Output") -> Any:
        return self.task(path).outputs[key]

    def artifacts(self, path: str, key: str) -> list[ArtifactRecord]:
        """The artifacts a task produced under an output key, in order."""
        events = self.store.task_events(self.task(path).id, "OUTPUT")
        ordered = sorted((e for e in events if e.key == key), key=lambda e: e.position)
        return [e.artifact for e in ordered]

    def input_artifacts(self, path: str, key: str) -> list[ArtifactRecord]:
        events = self.store.task_events(self.task(path).id, "INPUT")
        ordered = sorted((e for e in events if e.key == key), key=lambda e: e.position)
        return [e.artifact for e in ordered]

    def artifact(self, path: str, key: str) -> ArtifactRecord:
        found = self.artifacts(path, key)
        assert len(found) == 1, f"{path} produced {len(found)} artifacts under {key!r}"
        return found[0]

    def artifact_text(self, path: str, key: str) -> str:
        return Path(local_path_for_uri(self.artifact(path, key).uri)).read_text()

    def attempts(self, path: str) -> list[AttemptRecord]:
        return self.store.list_attempts(task_id=self.task(path).id)

    def logs(self, path: str) -> list[str]:
        """The log text of each attempt of a task, by attempt number."""
        return [read_log(a.log_path) for a in self.attempts(path)]


@dataclass
class Harness:
    """Compiles and runs pipelines against one store, home and pipeline root per test."""

    tmp: Path
    store: Store
    envs: PythonEnvCache
    max_parallel: int = 4
    compiled: int = 0

    @property
    def home(self) -> Path:
        return self.tmp / "home"

    @property
    def pipeline_root(self) -> Path:
        return self.tmp / "artifacts"

    def compile(self, pipeline: Callable[..., Any]) -> Path:
        self.compiled += 1
        path = self.tmp / f"pipeline-{self.compiled}.yaml"
        compiler.Compiler().compile(pipeline, str(path))
        return path

    def run(
        self,
        pipeline: Callable[..., Any],
        arguments: dict[str, Any] | None = None,
        *,
        cache_enabled: bool = True,
        max_parallel: int | None = None,
    ) -> RunResult:
        """Compile, create and execute one run to its end."""
        loaded = load_pipeline(self.compile(pipeline))
        record = create_run(
            self.store,
            RunRequest(
                pipeline=loaded,
                parameters=dict(arguments or {}),
                pipeline_root=str(self.pipeline_root),
                cache_enabled=cache_enabled,
            ),
        )
        executor = WarmExecutor(envs=self.envs)  # the default executor users get
        try:
            engine = run_engine(self.store, executor, self.home, max_parallel or self.max_parallel)
            run = engine.execute(record.id)
        finally:
            executor.shutdown()
        return RunResult(self.store, run, self.store.list_tasks(run.id))


@pytest.fixture(scope="session")
def python_envs(tmp_path_factory: pytest.TempPathFactory) -> PythonEnvCache:
    """One environment cache for the session, so `packages_to_install` envs are built once."""
    return PythonEnvCache(tmp_path_factory.mktemp("envs"))


@pytest.fixture
def harness(tmp_path: Path, python_envs: PythonEnvCache) -> Iterator[Harness]:
    store = Store.connect(f"sqlite:///{tmp_path}/headrace.db")
    try:
        yield Harness(tmp_path, store, python_envs)
    finally:
        store.close()


def read_json_lines(path: Path) -> list[Any]:
    """Records that tasks appended to a shared file, one JSON document per line."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of [start, end] intervals open at the same moment."""
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = current = 0
    for _, delta in edges:
        current += delta
        best = max(best, current)
    return best
