"""The API over a real Store: SQLite for the fast tests, and a fresh database per module on
PostgreSQL and MariaDB for the suites parametrized over every backend."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kfp_server_api
import pytest
import yaml
from fastapi import FastAPI
from kfp import compiler

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2; httpx is what kfp-compatible tooling installs.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from headrace.api import create_app
from headrace.config import Settings
from headrace.store import Store
from tests.api import pipelines
from tests.store.conftest import BACKENDS, _empty_database

API = "/apis/v2beta1"


def settings_app(store: Store, settings: Settings) -> FastAPI:
    """The API over `store` as `headrace server` builds it from its settings."""
    return create_app(
        store,
        home=settings.home,
        pipeline_root=settings.resolved_pipeline_root(),
        version="test",
        settings=settings,
    )


@pytest.fixture(scope="session")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test pipelines compiled to YAML, by pipeline name."""
    folder = tmp_path_factory.mktemp("compiled")
    found = {}
    for function in (pipelines.adder, pipelines.echoer, pipelines.failing):
        path = folder / f"{function.name}.yaml"
        compiler.Compiler().compile(function, str(path))
        found[function.name] = path
    return found


@pytest.fixture(scope="session")
def adder_spec(compiled: dict[str, Path]) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(compiled["adder"].read_text())
    return spec


@pytest.fixture(scope="module", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database shared by this test module's tests, on each backend."""
    yield from _empty_database(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('api')}/headrace.db"


@pytest.fixture
def namespace() -> str:
    """A namespace of this test's own, so tests sharing a module database do not see each other."""
    return f"ns-{uuid.uuid4().hex[:8]}"


def _client(url: str, tmp_path: Path) -> Iterator[TestClient]:
    with Store.connect(url) as store:
        app = create_app(
            store,
            home=tmp_path / "home",
            pipeline_root=str(tmp_path / "root"),
            version="test",
            max_body_bytes=1024 * 1024,
        )
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client of the API on each backend."""
    yield from _client(db_url, tmp_path)


@pytest.fixture
def sqlite_api(sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client of the API on SQLite only, for behaviour that does not depend on the database."""
    yield from _client(sqlite_url, tmp_path)


def model(data: Any, kind: str) -> Any:
    """Deserialize like kfp.Client does, after checking every key is one the model knows."""
    _check_keys(data, kind)
    client = kfp_server_api.ApiClient()
    return client._ApiClient__deserialize(data, kind)  # type: ignore[attr-defined]


def _check_keys(data: Any, kind: str) -> None:
    if kind.startswith("list["):
        for item in data:
            _check_keys(item, kind[5:-1])
        return
    if kind.startswith("dict("):
        inner = kind[kind.index(",") + 1 : -1].strip()
        for value in data.values():
            _check_keys(value, inner)
        return
    cls = getattr(kfp_server_api.models, kind, None)
    if cls is None or not getattr(cls, "openapi_types", None):
        return
    unknown = set(data) - set(cls.attribute_map.values())
    assert not unknown, f"{kind} has no field(s) {unknown}"
    by_json = {v: k for k, v in cls.attribute_map.items()}
    for key, value in data.items():
        _check_keys(value, cls.openapi_types[by_json[key]])


def error_of(response: Any, status: int) -> str:
    """The message of a Kubeflow-shaped error answer with this status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code", "message", "details"}, body
    assert body["details"] == []
    message: str = body["message"]
    return message


def upload(api: TestClient, path: Path, name: str, namespace: str, **params: str) -> dict[str, Any]:
    response = api.post(
        f"{API}/pipelines/upload",
        params={"name": name, "namespace": namespace, **params},
        files={"uploadfile": (path.name, path.read_bytes())},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# A kfp-kubernetes platform spec's executor settings, for specs that carry one.
EXECUTORS = {"exec-add": {"nodeSelector": {"labels": {"disk": "ssd"}}}}
