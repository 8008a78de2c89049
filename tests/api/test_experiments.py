"""Experiments through the v2beta1 API, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import API, error_of, model


def _create(api: TestClient, name: str, namespace: str) -> dict[str, Any]:
    response = api.post(
        f"{API}/experiments",
        json={"display_name": name, "description": "d", "namespace": namespace},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_and_get_an_experiment(api: TestClient, namespace: str) -> None:
    created = model(_create(api, "exp", namespace), "V2beta1Experiment")
    assert (created.display_name, created.namespace, created.storage_state) == (
        "exp",
        namespace,
        "AVAILABLE",
    )
    got = api.get(f"{API}/experiments/{created.experiment_id}").json()
    assert model(got, "V2beta1Experiment") == created
    assert "last_run_created_at" not in got


def test_a_second_experiment_with_the_same_name_is_a_conflict(
    api: TestClient, namespace: str
) -> None:
    _create(api, "twice", namespace)
    response = api.post(
        f"{API}/experiments", json={"display_name": "twice", "namespace": namespace}
    )
    assert "twice" in error_of(response, 409)


def test_list_finds_by_name_and_sorts_by_last_run_created_at(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    old = _create(api, "old", namespace)
    fresh = _create(api, "fresh", namespace)
    idle = _create(api, "idle", namespace)
    for experiment in (fresh, old):
        body = {
            "display_name": "r",
            "experiment_id": experiment["experiment_id"],
            "pipeline_spec": adder_spec,
        }
        assert api.post(f"{API}/runs", json=body).status_code == 200
    listed = api.get(
        f"{API}/experiments",
        params={"namespace": namespace, "sort_by": "last_run_created_at desc"},
    ).json()
    parsed = model(listed, "V2beta1ListExperimentsResponse")
    assert [e.display_name for e in parsed.experiments] == ["old", "fresh", "idle"]
    assert idle["experiment_id"] == parsed.experiments[-1].experiment_id

    by_name = {"predicates": [{"operation": "EQUALS", "key": "name", "string_value": "fresh"}]}
    found = api.get(
        f"{API}/experiments", params={"namespace": namespace, "filter": json.dumps(by_name)}
    ).json()
    assert [e["experiment_id"] for e in found["experiments"]] == [fresh["experiment_id"]]


def test_archive_and_unarchive_an_experiment(api: TestClient, namespace: str) -> None:
    experiment_id = _create(api, "shelved", namespace)["experiment_id"]
    assert api.post(f"{API}/experiments/{experiment_id}:archive").json() == {}
    assert api.get(f"{API}/experiments/{experiment_id}").json()["storage_state"] == "ARCHIVED"
    archived = {"predicates": [{"operation": 1, "key": "storage_state", "stringValue": "ARCHIVED"}]}
    listed = api.get(
        f"{API}/experiments", params={"namespace": namespace, "filter": json.dumps(archived)}
    ).json()
    assert [e["experiment_id"] for e in listed["experiments"]] == [experiment_id]
    assert api.post(f"{API}/experiments/{experiment_id}:unarchive").json() == {}
    assert api.get(f"{API}/experiments/{experiment_id}").json()["storage_state"] == "AVAILABLE"


def test_delete_an_experiment(api: TestClient, namespace: str) -> None:
    experiment_id = _create(api, "gone", namespace)["experiment_id"]
    assert api.delete(f"{API}/experiments/{experiment_id}").json() == {}
    error_of(api.get(f"{API}/experiments/{experiment_id}"), 404)


def test_unknown_experiment_ids_are_404(api: TestClient) -> None:
    error_of(api.get(f"{API}/experiments/nope"), 404)
    error_of(api.post(f"{API}/experiments/nope:archive"), 404)
    error_of(api.post(f"{API}/experiments/nope:unarchive"), 404)
    error_of(api.delete(f"{API}/experiments/nope"), 404)
