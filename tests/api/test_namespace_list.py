"""GET /namespaces: every namespace something was created in, and `default` before anything."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import API


def test_namespaces_created_by_experiments_pipelines_and_settings_are_listed(
    sqlite_api: TestClient, namespace: str
) -> None:
    assert "default" in sqlite_api.get(f"{API}/namespaces").json()["namespaces"]
    other = f"{namespace}-b"
    made = sqlite_api.post(f"{API}/experiments", json={"display_name": "e", "namespace": namespace})
    assert made.status_code == 200, made.text
    put = sqlite_api.put(f"{API}/namespaces/{other}/storage", json={"key_prefix": "x"})
    assert put.status_code == 200, put.text
    names = sqlite_api.get(f"{API}/namespaces").json()["namespaces"]
    assert names == sorted(names)
    assert {"default", namespace, other} <= set(names)
