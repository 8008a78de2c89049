"""`headrace namespace set-storage / show-storage / clear-storage`, run as the real command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli


def test_set_show_and_clear(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    result = cli(
        "namespace",
        "set-storage",
        "team-a",
        "--pipeline-root",
        "s3://team-a/root",
        "--key-prefix",
        "{namespace}/{run_id}",
        "--endpoint-url",
        "http://127.0.0.1:9000",
        "--path-style",
    )
    assert result.returncode == 0, result.stderr
    shown = cli.json("namespace", "show-storage", "team-a")
    assert shown["override"]["pipeline_root"] == "s3://team-a/root"
    assert shown["effective"]["object_store"]["path_style"] is True
    assert shown["effective"]["log_root"] == "s3://team-a/root/logs"
    again = cli("namespace", "set-storage", "team-a", "--region", "eu-1")
    assert again.returncode == 0, again.stderr
    merged = cli.json("namespace", "show-storage", "team-a")["override"]
    assert merged["key_prefix"] == "{namespace}/{run_id}"
    assert merged["object_store"] == {
        "endpoint_url": "http://127.0.0.1:9000",
        "path_style": True,
        "region": "eu-1",
    }
    assert cli("namespace", "clear-storage", "team-a").returncode == 0
    assert cli.json("namespace", "show-storage", "team-a")["override"] == {}


def test_malformed_override_exits_2_naming_the_field(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    result = cli("namespace", "set-storage", "t", "--key-prefix", "{run_id}/{task_name}")
    assert result.returncode == 2
    assert "key_prefix" in result.stderr and "{task_name}" in result.stderr


def test_a_namespace_credentials_file_replaces_the_global_keys(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    keys = {
        "HEADRACE_PIPELINE_ROOT": "minio://global/root",
        "HEADRACE_MINIO_ACCESS_KEY_ID": "GLOBAL",
        "HEADRACE_MINIO_SECRET_ACCESS_KEY": "S",
    }
    result = cli(
        "namespace",
        "set-storage",
        "team-a",
        "--credentials-file",
        "/etc/team-a/credentials",
        "--profile",
        "team-a",
        **keys,
    )
    assert result.returncode == 0, result.stderr
    shown = cli("namespace", "show-storage", "team-a", "--output", "json", **keys)
    assert shown.returncode == 0, shown.stderr
    own = json.loads(shown.stdout)["effective"]["object_store"]
    assert own["credentials_file"] == "/etc/team-a/credentials" and own["profile"] == "team-a"
    assert own["access_key_id"] is None and own["secret_access_key"] is None
    other = cli("namespace", "show-storage", "team-b", "--output", "json", **keys)
    assert json.loads(other.stdout)["effective"]["object_store"]["access_key_id"] == "GLOBAL"
