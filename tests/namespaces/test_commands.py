"""`headrace namespace set-storage / show-storage / clear-storage`, run as the real command."""

from __future__ import annotations

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
