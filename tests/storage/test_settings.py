"""The storage contract: URI schemes, environment settings, key prefixes and staged paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.config import load_settings
from headrace.spec.placeholders import PipelineContext, program_view, resolve_arguments
from headrace.storage.layout import RunLayout, staged_path
from headrace.storage.settings import ObjectStoreSettings, StorageSettings, is_remote, scheme_of


def test_schemes() -> None:
    assert scheme_of("/tmp/x") == "file" and scheme_of("file:///tmp/x") == "file"
    assert [scheme_of(f"{s}://b/k") for s in ("s3", "minio", "gs")] == ["s3", "minio", "gs"]
    assert is_remote("minio://b") and not is_remote("relative/dir")
    with pytest.raises(ValueError, match="hdfs://"):
        scheme_of("hdfs://nn/x")


def test_endpoints_come_from_the_settings_object(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "HEADRACE_HOME": str(tmp_path),
            "HEADRACE_PIPELINE_ROOT": "minio://bucket/root",
            "HEADRACE_MINIO_ENDPOINT_URL": "http://127.0.0.1:9000",
            "HEADRACE_MINIO_USE_TLS": "false",
            "HEADRACE_MINIO_MAX_RETRIES": "7",
            "HEADRACE_S3_REGION": "eu-west-1",
            "HEADRACE_KEY_PREFIX": "{namespace}/{run_id}",
        }
    ).storage()
    assert settings.minio.endpoint_url == "http://127.0.0.1:9000"
    assert settings.minio.path_style and not settings.minio.use_tls
    assert settings.minio.max_retries == 7
    assert settings.s3.region == "eu-west-1" and settings.s3.endpoint_url is None
    assert settings.resolved_log_root() == "minio://bucket/root/logs"
    assert settings.endpoint("minio").describe("minio") == "http://127.0.0.1:9000"
    assert settings.endpoint("s3").describe("s3") == "AWS S3"


def test_the_secret_never_shows_in_repr() -> None:
    endpoint = ObjectStoreSettings(access_key_id="AKIA", secret_access_key="hunter2")
    assert "hunter2" not in repr(endpoint) and "AKIA" in repr(endpoint)


def test_keys_follow_the_prefix_template(tmp_path: Path) -> None:
    storage = StorageSettings(
        pipeline_root="s3://b/root", key_prefix="{namespace}/{pipeline_name}/{run_id}"
    )
    layout = RunLayout(tmp_path, storage, "my pipe", "run-1", "team-a")
    assert layout.output_uri("loop/iteration-0/train", "e1", "model") == (
        "s3://b/root/team-a/my_pipe/run-1/loop/iteration-0/train/e1/model"
    )
    assert layout.log_archive_uri("train", "t1", 2) == (
        "s3://b/root/logs/team-a/my_pipe/run-1/train/t1/2.log"
    )


def test_a_local_root_keeps_logs_local_unless_a_log_root_is_set(tmp_path: Path) -> None:
    local = RunLayout(tmp_path, StorageSettings(pipeline_root=str(tmp_path)), "p", "r")
    assert local.log_archive_uri("t", "id", 0) is None
    archived = StorageSettings(pipeline_root=str(tmp_path), log_root="s3://logs")
    layout = RunLayout(tmp_path, archived, "p", "r")
    assert layout.log_archive_uri("t", "id", 0) == "s3://logs/p/r/t/id/0.log"


def test_staged_paths_mirror_kfp_mounts_under_the_attempt(tmp_path: Path) -> None:
    for uri, mount in [("s3://b/k/x", "s3"), ("minio://b/k", "minio"), ("gs://b/k", "gcs")]:
        assert staged_path(uri, tmp_path) == tmp_path / mount / uri.split("://")[1]


def test_uri_placeholders_keep_the_remote_uri_while_paths_are_staged() -> None:
    executor_input = {
        "inputs": {"artifacts": {"data": {"artifacts": [{"name": "d", "uri": "s3://b/k"}]}}},
        "outputs": {"outputFile": "/w/out.json"},
    }
    ctx = PipelineContext("j", "j", "j", "t", "t", "c", "c", staged_paths={"s3://b/k": "/w/s3/b/k"})
    argv = resolve_arguments(
        ["{{$.inputs.artifacts['data'].uri}}", "{{$.inputs.artifacts['data'].path}}", "{{$}}"],
        executor_input,
        ctx,
    )
    assert argv[:2] == ["s3://b/k", "/w/s3/b/k"]
    assert '"uri":"/w/s3/b/k"' in argv[2]
    # The view given to the program is a copy; the engine's remote view is untouched.
    view = program_view(executor_input, ctx.staged_paths)
    assert view["inputs"]["artifacts"]["data"]["artifacts"][0]["uri"] == "/w/s3/b/k"
    assert executor_input["inputs"]["artifacts"]["data"]["artifacts"][0]["uri"] == "s3://b/k"
