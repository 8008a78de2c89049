"""Artifacts through the API on a local, an S3 (moto) and a GCS (emulator) root: metadata and
lineage, bytes with Range and preview caps, directory listings, and paths that would escape the
artifact."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from kfp import compiler

from headrace.config import Settings
from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.service.namespaces import NamespaceSettings
from headrace.service.runs import run_engine
from headrace.store import Store
from tests.api.artifact_pipelines import reporting
from tests.api.conftest import API, error_of, settings_app
from tests.api.object_store import gcs_settings, s3_settings
from tests.storage.conftest import gcs_endpoint, s3_endpoint

__all__ = ["gcs_endpoint", "s3_endpoint"]

PAGE = b"# Report\n\nhello world\n"


@dataclass(frozen=True)
class Served:
    """An API over a finished `reporting` run, and its artifacts by output name."""

    api: TestClient
    run_id: str
    artifacts: dict[str, str]
    root: str


def _serve(tmp: Path, settings: Settings) -> Iterator[Served]:
    spec_path = tmp / "reporting.yaml"
    compiler.Compiler().compile(reporting, str(spec_path))
    spec = yaml.safe_load(spec_path.read_text())
    with Store.connect(f"sqlite:///{tmp}/headrace.db") as store:
        app = settings_app(store, settings)
        with TestClient(app, raise_server_exceptions=False) as api:
            created = api.post(f"{API}/runs", json={"display_name": "r", "pipeline_spec": spec})
            assert created.status_code == 200, created.text
            run_id = created.json()["run_id"]
            executor = LocalExecutor(envs=PythonEnvCache(tmp / "envs"))
            namespaces = NamespaceSettings(store, settings)
            try:
                engine = run_engine(
                    store, executor, settings.home, 2, storage_for=namespaces.storage_settings_for
                )
                finished = engine.execute(run_id)
            finally:
                executor.shutdown()
            assert finished.state.value == "SUCCEEDED", finished.error
            run = api.get(f"{API}/runs/{run_id}").json()
            report = next(
                t for t in run["run_details"]["task_details"] if t["display_name"] == "report"
            )
            artifacts = {k: v["artifact_ids"][0] for k, v in report["outputs"].items()}
            yield Served(api, run_id, artifacts, settings.resolved_pipeline_root())


@pytest.fixture(scope="module")
def file_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("file-root")
    settings = Settings.model_validate({"home": tmp / "home", "pipeline_root": str(tmp / "root")})
    yield from _serve(tmp, settings)


@pytest.fixture(scope="module")
def s3_served(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("s3-root")
    yield from _serve(tmp, s3_settings(tmp / "home", s3_endpoint))


@pytest.fixture(scope="module")
def gs_served(tmp_path_factory: pytest.TempPathFactory, gcs_endpoint: str) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("gs-root")
    yield from _serve(tmp, gcs_settings(tmp / "home", gcs_endpoint))


@pytest.fixture(params=["file", "s3", "gs"])
def served(request: pytest.FixtureRequest) -> Served:
    value: Served = request.getfixturevalue(f"{request.param}_served")
    return value


def _get(served: Served, name: str, suffix: str = "", **kwargs: Any) -> Any:
    return served.api.get(f"{API}/artifacts/{served.artifacts[name]}{suffix}", **kwargs)


def test_metadata_names_type_uri_lineage_and_what_is_stored(served: Served) -> None:
    body = _get(served, "page").json()
    assert body["type"] == "system.Markdown"
    assert body["uri"].startswith(served.root) and body["uri"].endswith("/page")
    assert body["namespace"] == "default" and body["run_id"] == served.run_id
    assert body["is_dir"] is False and body["size_bytes"] == len(PAGE)
    assert body["producer"]["task_name"] == "report"
    assert body["producer"]["output_key"] == "page"
    assert body["producer"]["run_id"] == served.run_id
    [consumer] = body["consumers"]
    assert consumer["task_name"] == "read-page" and consumer["input_key"] == "page"
    assert body["created_at"].endswith("Z")

    folder = _get(served, "folder").json()
    assert folder["is_dir"] is True and folder["size_bytes"] is None
    assert folder["display_name"] == "Report files" and folder["consumers"] == []

    scores = _get(served, "scores").json()
    assert scores["type"] == "system.Metrics" and scores["metadata"] == {"accuracy": 0.9}
    assert scores["is_dir"] is None and scores["size_bytes"] is None


def test_content_streams_the_file_with_its_type_and_length(served: Served) -> None:
    response = _get(served, "page", "/content")
    assert response.status_code == 200
    assert response.content == PAGE
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-length"] == str(len(PAGE))
    assert response.headers["accept-ranges"] == "bytes"
    assert "x-headrace-truncated" not in response.headers

    inside = _get(served, "folder", "/content", params={"path": "sub/b.csv"})
    assert inside.status_code == 200 and inside.content == b"x,y\n1,2\n"
    assert inside.headers["content-type"].startswith("text/csv")


def test_range_requests_answer_206_or_416(served: Served) -> None:
    part = _get(served, "page", "/content", headers={"Range": "bytes=2-7"})
    assert part.status_code == 206 and part.content == PAGE[2:8]
    assert part.headers["content-range"] == f"bytes 2-7/{len(PAGE)}"
    assert part.headers["content-length"] == "6"

    tail = _get(served, "page", "/content", headers={"Range": "bytes=-6"})
    assert tail.status_code == 206 and tail.content == PAGE[-6:]
    open_ended = _get(served, "page", "/content", headers={"Range": "bytes=10-"})
    assert open_ended.status_code == 206 and open_ended.content == PAGE[10:]

    beyond = _get(served, "page", "/content", headers={"Range": f"bytes={len(PAGE)}-"})
    assert "outside" in error_of(beyond, 416)
    assert beyond.headers["content-range"] == f"bytes */{len(PAGE)}"

    several = _get(served, "page", "/content", headers={"Range": "bytes=0-1,4-5"})
    assert several.status_code == 200 and several.content == PAGE  # ignored, as RFC 9110 allows


def _head(served: Served, name: str, **kwargs: Any) -> Any:
    return served.api.head(f"{API}/artifacts/{served.artifacts[name]}/content", **kwargs)


def test_head_answers_the_headers_of_get_without_the_bytes(served: Served) -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"headers": {"Range": "bytes=2-7"}},
        {"params": {"max_bytes": 3}},
        {"headers": {"Range": f"bytes={len(PAGE)}-"}},
    ]
    compared = ("content-type", "content-length", "content-range", "accept-ranges")
    compared += ("x-headrace-size", "x-headrace-truncated", "content-security-policy")
    for case in cases:
        got, head = _get(served, "page", "/content", **case), _head(served, "page", **case)
        assert head.status_code == got.status_code, case
        assert head.content == b"", case
        for header in compared:
            assert head.headers.get(header) == got.headers.get(header), (case, header)
    assert _head(served, "page").headers["content-length"] == str(len(PAGE))

    inside = _head(served, "folder", params={"path": "sub/b.csv"})
    assert inside.status_code == 200 and inside.headers["content-length"] == "8"
    assert _head(served, "folder").status_code == 400
    assert _head(served, "folder", params={"path": "nope.txt"}).status_code == 404
    assert _head(served, "folder", params={"path": "../x"}).status_code == 400


def test_previews_are_capped_and_say_so(served: Served) -> None:
    preview = _get(served, "page", "/content", params={"max_bytes": 8})
    assert preview.status_code == 200 and preview.content == PAGE[:8]
    assert preview.headers["x-headrace-truncated"] == "true"
    assert preview.headers["content-length"] == "8"
    assert preview.headers["x-headrace-size"] == str(len(PAGE))

    whole = _get(served, "page", "/content", params={"max_bytes": 1000})
    assert whole.content == PAGE and "x-headrace-truncated" not in whole.headers

    ranged = _get(
        served, "page", "/content", params={"max_bytes": 3}, headers={"Range": "bytes=2-"}
    )
    assert ranged.status_code == 206 and ranged.content == PAGE[2:5]
    assert ranged.headers["content-range"] == f"bytes 2-4/{len(PAGE)}"
    assert ranged.headers["x-headrace-truncated"] == "true"

    assert "max_bytes" in error_of(_get(served, "page", "/content", params={"max_bytes": 0}), 400)


def test_directory_listing(served: Served) -> None:
    top = _get(served, "folder", "/files").json()
    assert top == [
        {"path": "a.txt", "size_bytes": 6, "is_dir": False},
        {"path": "sub", "size_bytes": None, "is_dir": True},
    ]
    sub = _get(served, "folder", "/files", params={"path": "sub"}).json()
    assert sub == [{"path": "sub/b.csv", "size_bytes": 8, "is_dir": False}]
    every = _get(served, "folder", "/files", params={"recursive": "true"}).json()
    assert [e["path"] for e in every] == ["a.txt", "sub", "sub/b.csv"]


def test_files_and_content_refuse_the_wrong_kind_of_artifact(served: Served) -> None:
    assert "is a file" in error_of(_get(served, "page", "/files"), 400)
    assert "is a directory" in error_of(_get(served, "folder", "/content"), 400)
    in_file = _get(served, "page", "/content", params={"path": "x"})
    assert "is a file" in error_of(in_file, 400)
    missing = _get(served, "folder", "/content", params={"path": "nope.txt"})
    assert "nope.txt" in error_of(missing, 404)
    assert "nothing is stored" in error_of(_get(served, "scores", "/content"), 404)


@pytest.mark.parametrize("path", ["../page", "sub/../../page", "/etc/passwd", "sub\\b.csv"])
def test_paths_escaping_the_artifact_are_refused(served: Served, path: str) -> None:
    for suffix in ("/content", "/files"):
        assert repr(path) in error_of(_get(served, "folder", suffix, params={"path": path}), 400)


def test_symlinks_out_of_a_local_artifact_are_refused_and_not_listed(
    file_served: Served, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    uri = _get(file_served, "folder").json()["uri"]
    folder = Path(uri.removeprefix("file://"))
    (folder / "escape").symlink_to(secret)
    (folder / "escape-dir").symlink_to(tmp_path, target_is_directory=True)
    (folder / "inner").symlink_to(folder / "a.txt")
    try:
        refused = _get(file_served, "folder", "/content", params={"path": "escape"})
        assert "'escape'" in error_of(refused, 400)
        inside_dir = _get(
            file_served, "folder", "/content", params={"path": "escape-dir/secret.txt"}
        )
        assert "escape-dir/secret.txt" in error_of(inside_dir, 400)
        listed = _get(file_served, "folder", "/files", params={"recursive": "true"}).json()
        assert [e["path"] for e in listed] == ["a.txt", "inner", "sub", "sub/b.csv"]
        followed = _get(file_served, "folder", "/content", params={"path": "inner"})
        assert followed.content == b"alpha\n"  # a link that stays inside is served
    finally:
        for name in ("escape", "escape-dir", "inner"):
            os.unlink(folder / name)


def test_namespace_scoping_and_unknown_artifacts_are_404(served: Served) -> None:
    unknown = served.api.get(f"{API}/artifacts/no-such-artifact")
    assert "'no-such-artifact' not found" in error_of(unknown, 404)
    for suffix in ("", "/content", "/files"):
        other = _get(served, "folder", suffix, params={"namespace": "team-b"})
        assert error_of(other, 404) == f"artifact {served.artifacts['folder']!r} not found"
    assert _get(served, "page", "", params={"namespace": "default"}).status_code == 200
