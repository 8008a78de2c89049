"""GET/PUT/DELETE /apis/v2beta1/namespaces/{namespace}/storage."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from headrace.config import load_settings
from headrace.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.api.conftest import settings_app

URL = "/apis/v2beta1/namespaces/{}/storage"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    (tmp_path / "config.toml").write_text(
        '[secrets.team-a]\naccess_key_id = "AK"\nsecret_access_key = "SK"\n'
    )
    settings = load_settings(environ={"HEADRACE_HOME": str(tmp_path)})
    with Store.connect(settings.resolved_database_url()) as store:
        app = settings_app(store, settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client


def test_namespace_without_override_shows_global_defaults(api: TestClient, tmp_path: Path) -> None:
    response = api.get(URL.format("team-b"))
    assert response.status_code == 200
    body = response.json()
    assert body["override"] == {}
    assert body["effective"]["pipeline_root"] == str(tmp_path / "artifacts")


def test_put_get_and_delete(api: TestClient) -> None:
    override = {
        "pipeline_root": "minio://team-a/root",
        "key_prefix": "{namespace}/{pipeline_name}/{run_id}",
        "object_store": {"endpoint_url": "http://127.0.0.1:9000", "credentials": "team-a"},
    }
    response = api.put(URL.format("team-a"), json=override)
    assert response.status_code == 200, response.text
    body = api.get(URL.format("team-a")).json()
    assert body["override"] == override
    store = body["effective"]["object_store"]
    assert store["endpoint_url"] == "http://127.0.0.1:9000"
    assert store["access_key_id"] == "AK" and store["secret_access_key"] == "***"
    assert "SK" not in api.get(URL.format("team-a")).text
    assert api.delete(URL.format("team-a")).status_code == 200
    assert api.get(URL.format("team-a")).json()["override"] == {}


def test_malformed_override_is_a_400_naming_the_field(api: TestClient) -> None:
    response = api.put(URL.format("t"), json={"key_prefix": "{namespace}/{task_name}"})
    assert response.status_code == 400
    assert "key_prefix" in response.json()["message"]
    assert "{task_name}" in response.json()["message"]
    unknown = api.put(URL.format("t"), json={"object_store": {"secret_access_key": "x"}})
    assert unknown.status_code == 400 and "secret_access_key" in unknown.json()["message"]
