"""A run deleted while it runs: its tasks stop, its scratch goes, and nothing records a crash."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from kfp import compiler

from headrace.errors import NotFoundError
from headrace.service.run_queries import delete_run
from headrace.service.runs import RunRequest, create_run, make_executor, run_engine
from headrace.spec.loader import load_pipeline
from headrace.store import Store
from headrace.worker import Worker, WorkerOptions
from tests.executors.attempts import wait_for
from tests.processes import pids_written, running
from tests.worker import pipelines


def _submit(store: Store, home: Path, work: Path) -> str:
    path = home / "three-held.yaml"
    compiler.Compiler().compile(pipelines.three_held, str(path))
    request = RunRequest(
        load_pipeline(path), {"workdir": str(work)}, str(home / "artifacts"), cache_enabled=False
    )
    return create_run(store, request).id


@pytest.mark.parametrize("executor", ["local", "warm"])
def test_an_engine_whose_run_is_deleted_under_it_stops_its_other_tasks(
    store: Store, home: Path, executor: str
) -> None:
    work = home / "w"
    work.mkdir(parents=True)
    run_id = _submit(store, home, work)
    runner = make_executor(executor, home)
    engine = run_engine(store, runner, home, max_parallel=3)
    raised: list[BaseException] = []

    def execute() -> None:
        try:
            engine.execute(run_id)
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=execute)
    thread.start()
    try:
        pids = pids_written(work, 3)
        store.delete_run(run_id)  # no heartbeat here: the engine learns of it from its own writes
        (work / "a.go").touch()
        thread.join(timeout=60)
    finally:
        runner.shutdown()
    assert not thread.is_alive()
    assert [type(exc) for exc in raised] == [NotFoundError]
    # Its failing write did not leave the two tasks still holding running without an engine.
    assert not running(pids["b"]) and not running(pids["c"])


def test_a_worker_stops_a_deleted_run_and_removes_its_scratch(
    store: Store, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    work = home / "w"
    work.mkdir(parents=True)
    run_id = _submit(store, home, work)
    options = WorkerOptions(home=home, max_parallel=2, lease_seconds=3.0, poll_seconds=0.1)
    worker = Worker(store, options)
    caplog.set_level(logging.INFO, logger="headrace")
    worker.start()
    try:
        pids = list(pids_written(work, 2).values())
        scratch = home / "work" / run_id
        assert scratch.is_dir()
        delete_run(store, home, store.get_run(run_id))
        wait_for(lambda: not any(running(pid) for pid in pids), timeout=30)
        wait_for(lambda: not worker.active_runs() and not scratch.exists(), timeout=30)
    finally:
        worker.stop()
    assert len(list(work.glob("*.pid"))) == 2  # nothing of it started after the deletion
    assert f"run {run_id} was deleted" in caplog.text
    assert "crashed the engine" not in caplog.text
    with pytest.raises(NotFoundError):
        store.get_run(run_id)
