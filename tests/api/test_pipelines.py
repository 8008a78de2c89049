"""Pipelines and versions through the v2beta1 API, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import API, EXECUTORS, error_of, model, upload


def test_upload_creates_a_pipeline_with_a_first_version_holding_the_spec(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    pipeline = upload(api, compiled["adder"], "adder", namespace, description="adds")
    parsed = model(pipeline, "V2beta1Pipeline")
    assert (parsed.display_name, parsed.namespace, parsed.description) == (
        "adder",
        namespace,
        "adds",
    )
    assert pipeline["created_at"].endswith("Z")

    versions = api.get(f"{API}/pipelines/{parsed.pipeline_id}/versions").json()
    listed = model(versions, "V2beta1ListPipelineVersionsResponse")
    assert listed.total_size == 1
    version = listed.pipeline_versions[0]
    assert version.pipeline_spec["pipelineInfo"]["name"] == "adder"
    got = api.get(f"{API}/pipelines/{parsed.pipeline_id}/versions/{version.pipeline_version_id}")
    assert model(got.json(), "V2beta1PipelineVersion").pipeline_spec["schemaVersion"] == "2.1.0"


def test_upload_version_adds_a_version_to_the_pipeline(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    pipeline = upload(api, compiled["adder"], "adder", namespace)
    response = api.post(
        f"{API}/pipelines/upload_version",
        params={"name": "v2", "pipelineid": pipeline["pipeline_id"], "description": "second"},
        files={"uploadfile": ("adder.yaml", compiled["adder"].read_bytes())},
    )
    assert response.status_code == 200, response.text
    version = model(response.json(), "V2beta1PipelineVersion")
    assert (version.display_name, version.pipeline_id) == ("v2", pipeline["pipeline_id"])
    listed = api.get(
        f"{API}/pipelines/{pipeline['pipeline_id']}/versions", params={"sort_by": "created_at desc"}
    ).json()
    assert [v["display_name"] for v in listed["pipeline_versions"]] == ["v2", "adder"]


def test_upload_accepts_json_and_tar_gz_packages(
    api: TestClient, compiled: dict[str, Path], adder_spec: dict[str, Any], namespace: str
) -> None:
    as_json = json.dumps(adder_spec).encode()
    response = api.post(
        f"{API}/pipelines/upload",
        params={"name": "from-json", "namespace": namespace},
        files={"uploadfile": ("adder.json", as_json)},
    )
    assert response.status_code == 200, response.text
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as tar:
        data = compiled["adder"].read_bytes()
        info = tarfile.TarInfo("pipeline.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    response = api.post(
        f"{API}/pipelines/upload",
        params={"name": "from-tgz", "namespace": namespace},
        files={"uploadfile": ("adder.tar.gz", packed.getvalue())},
    )
    assert response.status_code == 200, response.text


def test_a_platform_spec_is_kept_and_returned_next_to_the_ir(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": EXECUTORS}}}}
    text = compiled["adder"].read_text() + "---\n" + json.dumps(platform)
    response = api.post(
        f"{API}/pipelines/upload",
        params={"name": "with-platform", "namespace": namespace},
        files={"uploadfile": ("adder.yaml", text.encode())},
    )
    assert response.status_code == 200, response.text
    pipeline_id = response.json()["pipeline_id"]
    version = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"][0]
    assert set(version["pipeline_spec"]) == {"pipeline_spec", "platform_spec"}
    assert version["pipeline_spec"]["pipeline_spec"]["pipelineInfo"]["name"] == "adder"


def test_create_pipeline_then_version_from_json(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    created = api.post(f"{API}/pipelines", json={"display_name": "empty", "namespace": namespace})
    pipeline = model(created.json(), "V2beta1Pipeline")
    version = api.post(
        f"{API}/pipelines/{pipeline.pipeline_id}/versions",
        json={"display_name": "v1", "pipeline_spec": adder_spec},
    )
    assert version.status_code == 200, version.text
    assert model(version.json(), "V2beta1PipelineVersion").pipeline_id == pipeline.pipeline_id


def test_create_pipeline_and_version_in_one_request(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    body = {
        "pipeline": {"display_name": "both", "namespace": namespace},
        "pipeline_version": {"display_name": "first", "pipeline_spec": adder_spec},
    }
    response = api.post(f"{API}/pipelines/create", json=body)
    assert response.status_code == 200, response.text
    pipeline = model(response.json(), "V2beta1Pipeline")
    versions = api.get(f"{API}/pipelines/{pipeline.pipeline_id}/versions").json()
    assert [v["display_name"] for v in versions["pipeline_versions"]] == ["first"]


def test_list_filters_by_name_sorts_and_pages(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    for name in ("b-pipe", "a-pipe", "c-pipe"):
        upload(api, compiled["adder"], name, namespace)
    # kfp.Client.get_pipeline_id sends camelCase keys and integer operation codes.
    wanted = {"predicates": [{"operation": 1, "key": "display_name", "stringValue": "a-pipe"}]}
    found = api.get(
        f"{API}/pipelines", params={"namespace": namespace, "filter": json.dumps(wanted)}
    )
    assert [p["display_name"] for p in found.json()["pipelines"]] == ["a-pipe"]

    first = api.get(
        f"{API}/pipelines",
        params={"namespace": namespace, "sort_by": "display_name desc", "page_size": 2},
    ).json()
    assert model(first, "V2beta1ListPipelinesResponse").total_size == 3
    assert [p["display_name"] for p in first["pipelines"]] == ["c-pipe", "b-pipe"]
    second = api.get(
        f"{API}/pipelines",
        params={
            "namespace": namespace,
            "sort_by": "display_name desc",
            "page_size": 2,
            "page_token": first["next_page_token"],
        },
    ).json()
    assert [p["display_name"] for p in second["pipelines"]] == ["a-pipe"]
    assert "next_page_token" not in second


def test_get_pipeline_by_id_and_by_name(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    pipeline = upload(api, compiled["adder"], "named", namespace)
    by_id = api.get(f"{API}/pipelines/{pipeline['pipeline_id']}").json()
    by_name = api.get(f"{API}/pipelines/names/named", params={"namespace": namespace}).json()
    assert by_id == by_name == pipeline


def test_delete_pipeline_is_refused_while_versions_exist_unless_cascade(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    pipeline_id = upload(api, compiled["adder"], "doomed", namespace)["pipeline_id"]
    refused = api.delete(f"{API}/pipelines/{pipeline_id}")
    assert "version" in error_of(refused, 409)
    assert api.delete(f"{API}/pipelines/{pipeline_id}", params={"cascade": "true"}).json() == {}
    error_of(api.get(f"{API}/pipelines/{pipeline_id}"), 404)


def test_delete_version_then_pipeline(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    pipeline_id = upload(api, compiled["adder"], "one-version", namespace)["pipeline_id"]
    versions = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"]
    version_id = versions[0]["pipeline_version_id"]
    assert api.delete(f"{API}/pipelines/{pipeline_id}/versions/{version_id}").json() == {}
    error_of(api.get(f"{API}/pipelines/{pipeline_id}/versions/{version_id}"), 404)
    assert api.delete(f"{API}/pipelines/{pipeline_id}").json() == {}


def test_unknown_pipeline_and_version_ids_are_404(api: TestClient) -> None:
    assert "not found" in error_of(api.get(f"{API}/pipelines/no-such-id"), 404)
    error_of(api.get(f"{API}/pipelines/no-such-id/versions"), 404)
    error_of(api.get(f"{API}/pipelines/p/versions/no-such-version"), 404)
    error_of(api.delete(f"{API}/pipelines/no-such-id"), 404)
