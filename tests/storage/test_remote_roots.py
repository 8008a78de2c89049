"""Pipelines whose root is an object store: staged inputs, uploaded outputs, archived logs."""

import dataclasses
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kfp import compiler

from headrace.executors import Executor, LocalExecutor, PythonEnvCache, WarmExecutor
from headrace.service.runs import RunRequest, create_run, run_engine
from headrace.spec.loader import load_pipeline
from headrace.states import AttemptState, RunState
from headrace.storage.filesystems import exists, read_bytes
from headrace.storage.logs import LogLocation, read_log
from headrace.storage.settings import StorageSettings
from headrace.store import Store
from headrace.store.records import RunRecord

from .conftest import endpoint_settings
from .pipelines import one_producer, remote_artifacts


@pytest.fixture(scope="module")
def python_envs(tmp_path_factory: pytest.TempPathFactory) -> PythonEnvCache:
    return PythonEnvCache(tmp_path_factory.mktemp("envs"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.connect(f"sqlite:///{tmp_path}/headrace.db")
    try:
        yield store
    finally:
        store.close()


def _run(
    tmp_path: Path,
    store: Store,
    executor: Executor,
    pipeline: Callable[..., Any],
    storage: StorageSettings,
) -> RunRecord:
    path = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    record = create_run(
        store,
        RunRequest(
            pipeline=load_pipeline(path),
            parameters={},
            pipeline_root=storage.pipeline_root,
            cache_enabled=False,
        ),
    )
    try:
        engine = run_engine(
            store, executor, tmp_path / "home", 4, storage_for=lambda _namespace: storage
        )
        return engine.execute(record.id)
    finally:
        executor.shutdown()


EXECUTORS = {
    "local": lambda envs: LocalExecutor(envs=envs),
    "warm": lambda envs: WarmExecutor(envs=envs),
}


@pytest.mark.parametrize("executor_kind", sorted(EXECUTORS))
@pytest.mark.parametrize("scheme", ["s3", "minio", "gs"])
def test_artifacts_live_in_the_bucket_and_logs_outlive_local_dirs(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    store: Store,
    python_envs: PythonEnvCache,
    executor_kind: str,
    scheme: str,
) -> None:
    if scheme == "gs":
        storage: StorageSettings = request.getfixturevalue("gcs_storage")
        bucket = storage.pipeline_root.split("/")[2]
    else:
        bucket = request.getfixturevalue("bucket")
        storage = request.getfixturevalue("storage").with_pipeline_root(f"{scheme}://{bucket}/root")
    executor = EXECUTORS[executor_kind](python_envs)
    run = _run(tmp_path, store, executor, remote_artifacts, storage)
    tasks = {t.name: t for t in store.list_tasks(run.id)}
    assert run.state is RunState.SUCCEEDED, run.error

    # Outputs are recorded with their object-store URIs, and the bytes are there.
    events = {e.key: e.artifact for e in store.task_events(tasks["produce"].id, "OUTPUT")}
    data, model = events["data"], events["model"]
    assert data.uri.startswith(f"{scheme}://{bucket}/root/remote-artifacts/{run.id}/produce/")
    assert model.metadata == {"layers": 1}
    assert read_bytes(data.uri, storage) == b"hello"
    assert read_bytes(f"{model.uri}/weights/w.bin", storage) == b"weights"

    # Inputs were staged at a local .path; the `.uri` placeholder kept the remote URI.
    assert tasks["consume"].outputs["Output"] == "hello|w.bin|1"

    # Logs are archived under the log root, and read back with the local dirs gone.
    shutil.rmtree(tmp_path / "home")
    attempts = {a.task_id: a for a in store.list_attempts(run_id=run.id)}
    shown = attempts[tasks["show"].id]
    assert shown.log_uri is not None and shown.log_uri.startswith(
        f"{scheme}://{bucket}/root/logs/remote-artifacts/{run.id}/show/"
    )
    assert exists(shown.log_uri, storage)
    text = read_log(LogLocation(shown.log_path, shown.log_uri), storage, live=False)
    assert f"uri={data.uri}\n" in text and "hello" in text
    produced = attempts[tasks["produce"].id]
    text = read_log(LogLocation(produced.log_path, produced.log_uri), storage, live=False)
    assert "producing hello" in text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_object_store_fails_the_task_naming_the_endpoint(
    tmp_path: Path, store: Store, storage: StorageSettings, python_envs: PythonEnvCache
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    down = dataclasses.replace(
        storage, s3=endpoint_settings(url, timeout_seconds=1.0, max_retries=1)
    )
    run = _run(tmp_path, store, LocalExecutor(envs=python_envs), one_producer, down)
    assert run.state is RunState.FAILED
    attempts = store.list_attempts(run_id=run.id)
    assert [a.state for a in attempts] == [AttemptState.FAILED, AttemptState.FAILED]
    for attempt in attempts:
        assert attempt.error is not None and url in attempt.error, attempt.error
        assert "output artifacts not uploaded" in attempt.error
        # Nothing written is lost: the local log keeps what the task printed.
        assert "producing hello" in Path(attempt.log_path).read_text()
    assert url in (run.error or "")
