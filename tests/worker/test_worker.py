"""Workers claim stored runs, execute each exactly once, honour terminate, hand runs over."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from kfp import compiler

from headrace.service.runs import RunRequest, create_run
from headrace.spec.loader import LoadedPipeline, load_pipeline
from headrace.states import RunState
from headrace.store import Store
from headrace.worker import Worker, WorkerOptions
from tests.worker import pipelines


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> LoadedPipeline:
    path = tmp_path_factory.mktemp("p") / "two.yaml"
    compiler.Compiler().compile(pipelines.two_steps, str(path))
    return load_pipeline(path)


def _submit(store: Store, pipeline: LoadedPipeline, home: Path, **params: object) -> str:
    request = RunRequest(pipeline, dict(params), str(home / "artifacts"), cache_enabled=False)
    return create_run(store, request).id


def _worker(store: Store, home: Path, lease: float = 15.0) -> Worker:
    options = WorkerOptions(home=home, max_parallel=2, lease_seconds=lease, poll_seconds=0.1)
    return Worker(store, options)


def _ran(work: Path) -> list[str]:
    path = work / "ran.txt"
    return path.read_text().split() if path.exists() else []


def _wait_until_started(work: Path, name: str) -> None:
    deadline = time.monotonic() + 60
    while name not in _ran(work):
        assert time.monotonic() < deadline, f"{name} never started"
        time.sleep(0.05)


def _wait(store: Store, run_id: str, *states: RunState, seconds: float = 120) -> RunState:
    deadline = time.monotonic() + seconds
    while True:
        state = store.get_run(run_id).state
        if state in states:
            return state
        assert time.monotonic() < deadline, f"run {run_id} stuck in {state}"
        time.sleep(0.1)


def test_worker_executes_pending_runs(store: Store, pipeline: LoadedPipeline, home: Path) -> None:
    work = home / "w"
    work.mkdir(parents=True)
    ids = [_submit(store, pipeline, home, workdir=str(work), tag=f"r{i}") for i in range(3)]
    worker = _worker(store, home)
    worker.start()
    try:
        for run_id in ids:
            assert _wait(store, run_id, RunState.SUCCEEDED, RunState.FAILED) is RunState.SUCCEEDED
    finally:
        worker.stop()
    ran = sorted(_ran(work))
    assert ran == sorted(f"r{i}-{step}" for i in range(3) for step in ("first", "second"))


def test_two_workers_never_run_the_same_run(
    store: Store, pipeline: LoadedPipeline, home: Path
) -> None:
    work = home / "w"
    work.mkdir(parents=True)
    ids = [_submit(store, pipeline, home, workdir=str(work), tag=f"r{i}") for i in range(6)]
    workers = [_worker(store, home), _worker(store, home)]
    for w in workers:
        w.start()
    try:
        for run_id in ids:
            _wait(store, run_id, RunState.SUCCEEDED)
    finally:
        for w in workers:
            w.stop()
    ran = _ran(work)
    assert len(ran) == len(set(ran)) == 12  # every task of every run ran exactly once


def test_terminate_stops_the_running_task(
    store: Store, pipeline: LoadedPipeline, home: Path
) -> None:
    work = home / "w"
    work.mkdir(parents=True)
    run_id = _submit(store, pipeline, home, workdir=str(work), seconds=300.0)
    worker = _worker(store, home)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while (
            "run-second" not in (work / "ran.txt").read_text()
            if (work / "ran.txt").exists()
            else True
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        store.request_cancel(run_id)
        assert _wait(store, run_id, RunState.CANCELED, seconds=30) is RunState.CANCELED
    finally:
        worker.stop()
    states = {t.name: t.state.value for t in store.list_tasks(run_id)}
    assert states["record"] == "SUCCEEDED" and states["record-2"] == "CANCELED"


def test_stopped_worker_hands_the_run_to_another(
    store: Store, pipeline: LoadedPipeline, home: Path
) -> None:
    work = home / "w"
    work.mkdir(parents=True)
    run_id = _submit(store, pipeline, home, workdir=str(work), seconds=2.0)
    first = _worker(store, home, lease=1.5)
    first.start()
    _wait_until_started(work, "run-second")
    first.stop()  # interrupts: the run stays RUNNING, its second task unfinished
    assert store.get_run(run_id).state is RunState.RUNNING
    second = _worker(store, home, lease=1.5)
    second.start()
    try:
        assert _wait(store, run_id, RunState.SUCCEEDED, RunState.FAILED) is RunState.SUCCEEDED
    finally:
        second.stop()
    assert _ran(work) == ["run-first", "run-second", "run-second"]


def test_retried_run_redoes_only_what_failed(store: Store, home: Path, tmp_path: Path) -> None:
    path = tmp_path / "retry.yaml"
    compiler.Compiler().compile(pipelines.fix_and_retry, str(path))
    work = home / "w"
    work.mkdir(parents=True)
    (work / "a.ok").touch()
    (work / "c.ok").touch()
    run_id = _submit(store, load_pipeline(path), home, workdir=str(work))
    worker = _worker(store, home)
    worker.start()
    try:
        assert _wait(store, run_id, RunState.SUCCEEDED, RunState.FAILED) is RunState.FAILED
        assert sorted(_ran(work)) == ["a", "b", "c", "first"]
        (work / "b.ok").touch()
        store.reset_for_retry(run_id)
        assert _wait(store, run_id, RunState.SUCCEEDED, RunState.FAILED) is RunState.SUCCEEDED
    finally:
        worker.stop()
    assert sorted(_ran(work)) == ["a", "b", "b", "c", "first", "last"]
    flaky_tasks = [t for t in store.list_tasks(run_id) if t.name == "flaky"]
    assert sorted(t.attempt_count for t in flaky_tasks) == [1, 1, 2]
    assert store.get_run(run_id).error is None
