"""Task logs through the API: one attempt's output as text; unknown tasks and attempts are 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.service.runs import run_engine
from headrace.store import Store
from tests.api.conftest import API, error_of


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

    missing = sqlite_api.get(f"{API}/runs/{run_id}/tasks/{tasks['add']}/logs?attempt=7")
    assert "no attempt 7" in error_of(missing, 404)
    other = sqlite_api.get(f"{API}/runs/{run_id}/tasks/not-a-task/logs")
    assert "not-a-task" in error_of(other, 404)
