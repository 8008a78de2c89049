"""Task logs through the API: one attempt's output as text; unknown tasks and attempts are 404;
an archived log is read from the object store once the run's local directories are gone; with
`offset`, only the bytes from there on (from the local file, and ranged from the object store)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.service.logs import attempt_log_from
from headrace.service.namespaces import NamespaceSettings
from headrace.service.runs import run_engine
from headrace.states import AttemptState
from headrace.storage.settings import StorageSettings
from headrace.store import Store
from headrace.store.records import AttemptRecord
from tests.api.conftest import API, error_of, settings_app
from tests.api.object_store import s3_settings
from tests.storage.conftest import s3_endpoint

__all__ = ["s3_endpoint"]


def _finished_run(api: TestClient, url: str, spec: dict[str, Any], home: Path) -> str:
    created = api.post(f"{API}/runs", json={"display_name": "logs", "pipeline_spec": spec})
    assert created.status_code == 200, created.text
    run_id: str = created.json()["run_id"]
    with Store.connect(url) as store:
        executor = LocalExecutor(envs=PythonEnvCache(home / "envs"))
        try:
            run_engine(store, executor, home, 2).execute(run_id)
        finally:
            executor.shutdown()
    return run_id


def test_logs_of_each_task_attempt(
    sqlite_api: TestClient, sqlite_url: str, adder_spec: dict[str, Any], tmp_path: Path
) -> None:
    run_id = _finished_run(sqlite_api, sqlite_url, adder_spec, tmp_path / "home")
    run = sqlite_api.get(f"{API}/runs/{run_id}").json()
    tasks = {t["display_name"]: t["task_id"] for t in run["run_details"]["task_details"]}
    response = sqlite_api.get(f"{API}/runs/{run_id}/tasks/{tasks['add']}/logs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-headrace-attempt"] == "0"
    assert "Wrote executor output file" in response.text

    assert "x-headrace-log-offset" not in response.headers  # kfp-style callers: the whole log
    _read_in_steps(sqlite_api, f"{API}/runs/{run_id}/tasks/{tasks['add']}/logs", response.text)

    missing = sqlite_api.get(f"{API}/runs/{run_id}/tasks/{tasks['add']}/logs?attempt=7")
    assert "no attempt 7" in error_of(missing, 404)
    other = sqlite_api.get(f"{API}/runs/{run_id}/tasks/not-a-task/logs")
    assert "not-a-task" in error_of(other, 404)


def test_archived_logs_are_read_from_s3_once_local_dirs_are_gone(
    tmp_path: Path, s3_endpoint: str, adder_spec: dict[str, Any]
) -> None:
    settings = s3_settings(tmp_path / "home", s3_endpoint)
    with Store.connect(f"sqlite:///{tmp_path}/headrace.db") as store:
        app = settings_app(store, settings)
        with TestClient(app, raise_server_exceptions=False) as api:
            created = api.post(
                f"{API}/runs", json={"display_name": "s3", "pipeline_spec": adder_spec}
            )
            run_id = created.json()["run_id"]
            executor = LocalExecutor(envs=PythonEnvCache(tmp_path / "envs"))
            storage_for = NamespaceSettings(store, settings).storage_settings_for
            try:
                engine = run_engine(store, executor, settings.home, 2, storage_for=storage_for)
                assert engine.execute(run_id).state.value == "SUCCEEDED"
            finally:
                executor.shutdown()
            attempts = store.list_attempts(run_id=run_id)
            shutil.rmtree(settings.home / "work")
            shutil.rmtree(settings.home / "logs")
            assert len(attempts) == 2  # the two `add` tasks
            for attempt in attempts:
                assert not Path(attempt.log_path).exists()
                assert attempt.log_uri is not None
                assert attempt.log_uri.startswith(f"{settings.resolved_pipeline_root()}/logs/")
                response = api.get(f"{API}/runs/{run_id}/tasks/{attempt.task_id}/logs")
                assert response.status_code == 200, response.text
                assert response.headers["x-headrace-state"] == "SUCCEEDED"
                assert "Wrote executor output file" in response.text
                logs_url = f"{API}/runs/{run_id}/tasks/{attempt.task_id}/logs"
                _read_in_steps(api, logs_url, response.text)


def _read_in_steps(api: TestClient, logs_url: str, whole: str) -> None:
    """Reads from offsets 0, 10 and the end give the log's bytes from there on."""
    size = len(whole.encode())
    first = api.get(logs_url, params={"offset": 0})
    assert first.status_code == 200, first.text
    assert first.text == whole
    assert first.headers["x-headrace-log-offset"] == str(size)
    assert first.headers["x-headrace-state"] == "SUCCEEDED"
    tail = api.get(logs_url, params={"offset": 10})
    assert tail.text == whole.encode()[10:].decode()
    assert tail.headers["x-headrace-log-offset"] == str(size)
    past = api.get(logs_url, params={"offset": size})
    assert past.text == ""
    assert past.headers["x-headrace-log-offset"] == str(size)
    assert "offset" in error_of(api.get(logs_url, params={"offset": -1}), 400)


def test_a_running_log_read_from_an_offset_stops_before_a_cut_character(tmp_path: Path) -> None:
    log = tmp_path / "attempt.log"
    log.write_bytes("héllo\n".encode() + "€".encode()[:2])  # the euro sign half written
    attempt = AttemptRecord(
        id="a", task_id="t", run_id="r", number=0, state=AttemptState.RUNNING, exit_code=None,
        log_path=str(log), error=None, started_at=datetime.now(UTC), finished_at=None,
    )  # fmt: skip
    settings = StorageSettings(pipeline_root=str(tmp_path))
    text, offset = attempt_log_from(attempt, settings, 0)
    assert (text, offset) == ("héllo\n", 7)
    with log.open("ab") as f:
        f.write("€".encode()[2:] + b"!\n")
    assert attempt_log_from(attempt, settings, offset) == ("€!\n", 12)
    assert attempt_log_from(attempt, settings, 12) == ("", 12)
