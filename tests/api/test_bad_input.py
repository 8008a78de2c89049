"""Bad requests get a 4xx Kubeflow-shaped JSON error that says what is wrong; nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import API, error_of


def test_healthz_answers_in_kubeflow_shape(sqlite_api: TestClient) -> None:
    body = sqlite_api.get(f"{API}/healthz").json()
    assert body == {
        "commit_sha": "",
        "tag_name": "test",
        "multi_user": False,
        "pipeline_store": "database",
    }


def test_openapi_is_served(sqlite_api: TestClient) -> None:
    paths = sqlite_api.get("/openapi.json").json()["paths"]
    assert f"{API}/runs/{{run_id}}:retry" in paths
    assert f"{API}/pipelines/upload" in paths


def test_unknown_fields_are_rejected_by_name(
    sqlite_api: TestClient, adder_spec: dict[str, Any]
) -> None:
    body = {"display_name": "r", "pipeline_spec": adder_spec, "runtime_config": {"params": {}}}
    assert "runtime_config.params" in error_of(sqlite_api.post(f"{API}/runs", json=body), 400)
    experiment = {"display_name": "e", "colour": "red"}
    assert "colour" in error_of(sqlite_api.post(f"{API}/experiments", json=experiment), 400)


def test_wrong_types_are_400_naming_the_field(sqlite_api: TestClient) -> None:
    response = sqlite_api.post(f"{API}/experiments", json={"display_name": ["not", "a", "name"]})
    assert "display_name" in error_of(response, 400)
    listed = sqlite_api.get(f"{API}/runs", params={"page_size": "many"})
    assert "page_size" in error_of(listed, 400)


def test_a_body_that_is_not_json_is_400(sqlite_api: TestClient) -> None:
    response = sqlite_api.post(
        f"{API}/experiments", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert "JSON" in error_of(response, 400)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter": "{not json"}, "filter"),
        ({"filter": json.dumps({"predicates": [{"key": "colour", "operation": 1}]})}, "colour"),
        ({"sort_by": "colour desc"}, "colour"),
        ({"sort_by": "created_at sideways"}, "sort_by"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"page_size": "-3"}, "page_size"),
    ],
)
def test_bad_list_arguments_are_400_naming_them(
    sqlite_api: TestClient, params: dict[str, str], named: str
) -> None:
    for resource in ("runs", "experiments", "pipelines", "recurringruns"):
        response = sqlite_api.get(f"{API}/{resource}", params=params)
        assert named in error_of(response, 400), resource


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"a: [1,", "malformed YAML at line 1"),
        (b"", "empty"),
        (b"just a string", "not a PipelineSpec"),
        (b"schemaVersion: 1.0.0\n", "schemaVersion"),
        (b"\xff\xfe\x00", "UTF-8"),
        (b"PK\x03\x04garbage", ".zip"),
    ],
)
def test_a_malformed_upload_is_400_and_stores_nothing(
    sqlite_api: TestClient, content: bytes, named: str
) -> None:
    response = sqlite_api.post(
        f"{API}/pipelines/upload",
        params={"name": f"bad-{named}"},
        files={"uploadfile": ("bad.yaml", content)},
    )
    assert named in error_of(response, 400)
    assert sqlite_api.get(f"{API}/pipelines/names/bad-{named}").status_code == 404


def test_an_upload_without_the_file_is_400(sqlite_api: TestClient) -> None:
    response = sqlite_api.post(f"{API}/pipelines/upload", params={"name": "x"})
    assert "uploadfile" in error_of(response, 400)


def test_an_upload_version_without_a_pipeline_id_is_400(
    sqlite_api: TestClient, compiled: dict[str, Path]
) -> None:
    response = sqlite_api.post(
        f"{API}/pipelines/upload_version",
        files={"uploadfile": ("adder.yaml", compiled["adder"].read_bytes())},
    )
    assert "pipelineid" in error_of(response, 400)


def test_an_oversized_body_is_413(sqlite_api: TestClient) -> None:
    big = b"#" * (2 * 1024 * 1024)
    response = sqlite_api.post(f"{API}/pipelines/upload", files={"uploadfile": ("big.yaml", big)})
    assert "larger than" in error_of(response, 413)
    listed = sqlite_api.get(f"{API}/pipelines").json()
    assert all(p["display_name"] != "big" for p in listed.get("pipelines", []))


def test_an_unknown_path_is_a_json_404(sqlite_api: TestClient) -> None:
    error_of(sqlite_api.get(f"{API}/nothing-here"), 404)


def test_an_invalid_pipeline_spec_in_a_run_is_400(sqlite_api: TestClient) -> None:
    body = {"display_name": "r", "pipeline_spec": {"schemaVersion": "2.1.0", "root": 3}}
    assert "PipelineSpec" in error_of(sqlite_api.post(f"{API}/runs", json=body), 400)


def test_an_unsupported_pipeline_root_is_400(
    sqlite_api: TestClient, adder_spec: dict[str, Any]
) -> None:
    body = {
        "display_name": "r",
        "pipeline_spec": adder_spec,
        "runtime_config": {"pipeline_root": "hdfs://namenode/root"},
    }
    assert "hdfs://" in error_of(sqlite_api.post(f"{API}/runs", json=body), 400)
