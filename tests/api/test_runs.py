"""Runs through the v2beta1 API, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import API, EXECUTORS, error_of, model, upload


def _run(api: TestClient, **body: Any) -> dict[str, Any]:
    response = api.post(f"{API}/runs", json={"display_name": "r", **body})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def _experiment(api: TestClient, namespace: str, name: str = "e") -> str:
    body = {"display_name": name, "namespace": namespace}
    experiment_id: str = api.post(f"{API}/experiments", json=body).json()["experiment_id"]
    return experiment_id


def test_a_run_from_an_inline_spec_is_stored_pending_in_the_default_experiment(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    created = model(
        _run(api, pipeline_spec=adder_spec, runtime_config={"parameters": {"a": 5}}), "V2beta1Run"
    )
    assert created.state == "PENDING"
    assert created.runtime_config.parameters == {"a": 5, "b": 2, "tag": "x"}
    assert created.pipeline_spec["pipelineInfo"]["name"] == "adder"
    experiment = api.get(f"{API}/experiments/{created.experiment_id}").json()
    assert (experiment["display_name"], experiment["namespace"]) == ("Default", "default")


def test_a_run_accepts_the_ir_wrapped_with_a_platform_spec(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": EXECUTORS}}}}
    wrapped = {"pipeline_spec": adder_spec, "platform_spec": platform}
    created = _run(api, pipeline_spec=wrapped, experiment_id=_experiment(api, namespace))
    got = api.get(f"{API}/runs/{created['run_id']}").json()
    assert got["pipeline_spec"]["platform_spec"] == platform


def test_a_version_reference_without_version_id_runs_the_latest_version(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    pipeline_id = upload(api, compiled["adder"], "refd", namespace)["pipeline_id"]
    newer = api.post(
        f"{API}/pipelines/upload_version",
        params={"name": "echo-version", "pipelineid": pipeline_id},
        files={"uploadfile": ("echoer.yaml", compiled["echoer"].read_bytes())},
    ).json()
    experiment_id = _experiment(api, namespace)
    latest = _run(
        api, experiment_id=experiment_id, pipeline_version_reference={"pipeline_id": pipeline_id}
    )
    assert latest["pipeline_version_reference"] == {
        "pipeline_id": pipeline_id,
        "pipeline_version_id": newer["pipeline_version_id"],
    }
    assert latest["pipeline_spec"]["pipelineInfo"]["name"] == "echoer"
    versions = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"]
    first = next(v for v in versions if v["display_name"] == "refd")
    pinned = _run(
        api,
        experiment_id=experiment_id,
        pipeline_version_reference={
            "pipeline_id": pipeline_id,
            "pipeline_version_id": first["pipeline_version_id"],
        },
    )
    assert pinned["pipeline_spec"]["pipelineInfo"]["name"] == "adder"


def test_runtime_placeholders_are_expanded_at_creation(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    tag = "[[RunUUID]]/[[CurrentTime]]/[[ScheduledTime.2006-01-02]]/[[Index]]"
    created = _run(api, pipeline_spec=adder_spec, runtime_config={"parameters": {"tag": tag}})
    run_id, now, day, index = created["runtime_config"]["parameters"]["tag"].split("/")
    assert run_id == created["run_id"]
    assert len(now) == 14 and now.isdigit()
    assert day == created["created_at"][:10]
    assert index == "[[Index]]"
    stored = api.get(f"{API}/runs/{run_id}").json()
    assert stored["runtime_config"]["parameters"]["tag"].startswith(run_id)


def test_a_bad_parameter_is_400_and_stores_nothing(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    experiment_id = _experiment(api, namespace)
    for parameters in ({"a": "not a number"}, {"nope": 1}):
        response = api.post(
            f"{API}/runs",
            json={
                "display_name": "bad",
                "experiment_id": experiment_id,
                "pipeline_spec": adder_spec,
                "runtime_config": {"parameters": parameters},
            },
        )
        assert next(iter(parameters)) in error_of(response, 400)
    listed = api.get(f"{API}/runs", params={"experiment_id": experiment_id}).json()
    assert listed.get("runs") is None and listed["total_size"] == 0


def test_a_run_needs_exactly_one_pipeline_source(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    error_of(api.post(f"{API}/runs", json={"display_name": "none"}), 400)
    both = {
        "display_name": "both",
        "pipeline_spec": adder_spec,
        "pipeline_version_reference": {"pipeline_id": "p"},
    }
    error_of(api.post(f"{API}/runs", json=both), 400)
    missing = {"display_name": "x", "pipeline_version_reference": {"pipeline_id": "no-such"}}
    error_of(api.post(f"{API}/runs", json=missing), 404)


def test_list_runs_by_experiment_with_filter_sort_and_pages(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    experiment_id = _experiment(api, namespace)
    for name in ("r1", "r2", "r3"):
        _run(api, display_name=name, experiment_id=experiment_id, pipeline_spec=adder_spec)
    first = api.get(
        f"{API}/runs",
        params={"experiment_id": experiment_id, "sort_by": "created_at desc", "page_size": 2},
    ).json()
    parsed = model(first, "V2beta1ListRunsResponse")
    assert [r.display_name for r in parsed.runs] == ["r3", "r2"]
    assert parsed.total_size == 3
    assert all(r.pipeline_spec is None for r in parsed.runs)
    rest = api.get(
        f"{API}/runs",
        params={
            "experiment_id": experiment_id,
            "sort_by": "created_at desc",
            "page_size": 2,
            "page_token": first["next_page_token"],
        },
    ).json()
    assert [r["display_name"] for r in rest["runs"]] == ["r1"]
    by_name = {"predicates": [{"operation": 1, "key": "display_name", "stringValue": "r2"}]}
    found = api.get(
        f"{API}/runs", params={"namespace": namespace, "filter": json.dumps(by_name)}
    ).json()
    assert [r["display_name"] for r in found["runs"]] == ["r2"]


def test_terminate_cancels_a_run_that_no_worker_has_claimed(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    run_id = _run(api, pipeline_spec=adder_spec)["run_id"]
    assert api.post(f"{API}/runs/{run_id}:terminate").json() == {}
    assert api.get(f"{API}/runs/{run_id}").json()["state"] == "CANCELED"


def test_archive_unarchive_and_delete_a_run(
    api: TestClient, adder_spec: dict[str, Any], tmp_path: Path
) -> None:
    run_id, other_id, pending_id = (_run(api, pipeline_spec=adder_spec)["run_id"] for _ in range(3))
    assert api.post(f"{API}/runs/{run_id}:archive").json() == {}
    assert api.get(f"{API}/runs/{run_id}").json()["storage_state"] == "ARCHIVED"
    assert api.post(f"{API}/runs/{run_id}:unarchive").json() == {}
    assert api.get(f"{API}/runs/{run_id}").json()["storage_state"] == "AVAILABLE"
    # What failed attempts left in the server's home, as the engine lays it out.
    work = tmp_path / "home" / "work"
    for run in (run_id, other_id, pending_id):
        (work / run / "task.0" / "work").mkdir(parents=True)
        (work / run / "task.0" / "work" / "core").write_text("left by the program")
    assert api.post(f"{API}/runs/{run_id}:terminate").json() == {}  # no worker: CANCELED now
    assert api.delete(f"{API}/runs/{run_id}").json() == {}
    error_of(api.get(f"{API}/runs/{run_id}"), 404)
    assert not (work / run_id).exists()
    assert (work / other_id / "task.0" / "work" / "core").exists()
    # A run that has not ended may still have tasks running in its scratch: it stays.
    assert api.delete(f"{API}/runs/{pending_id}").json() == {}
    assert (work / pending_id / "task.0" / "work" / "core").exists()


def test_unknown_run_ids_are_404_even_as_id_prefixes(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    run_id = _run(api, pipeline_spec=adder_spec)["run_id"]
    error_of(api.get(f"{API}/runs/{run_id[:8]}"), 404)
    for action in (":terminate", ":retry", ":archive", ":unarchive"):
        error_of(api.post(f"{API}/runs/nope{action}"), 404)
    error_of(api.delete(f"{API}/runs/nope"), 404)


def test_retry_refuses_a_run_that_has_not_ended(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    run_id = _run(api, pipeline_spec=adder_spec)["run_id"]
    assert "PENDING" in error_of(api.post(f"{API}/runs/{run_id}:retry"), 400)


def test_retry_makes_a_canceled_run_pending_again(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    run_id = _run(api, pipeline_spec=adder_spec)["run_id"]
    api.post(f"{API}/runs/{run_id}:terminate")
    assert api.post(f"{API}/runs/{run_id}:retry").status_code == 200
    assert api.get(f"{API}/runs/{run_id}").json()["state"] == "PENDING"
