"""`headrace config show` and `headrace doctor`, run as the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

from .conftest import ACCESS_KEY, SECRET_KEY, write_config


@pytest.fixture
def cli(home: Path) -> Cli:
    return Cli(home)


def test_config_show_prints_every_value_with_its_origin(cli: Cli, home: Path) -> None:
    write_config(home, 'executor = "local"\n[minio]\nsecret_access_key = "hunter2"\n')
    result = cli("config", "show", HEADRACE_LEASE_SECONDS="30")
    assert result.returncode == 0, result.stderr
    lines = {line.split("=")[0].strip(): line for line in result.stdout.splitlines()}
    assert lines["executor"].endswith(f"# config file {home / 'config.toml'}")
    assert lines["lease_seconds"].endswith("# environment HEADRACE_LEASE_SECONDS")
    assert "# default" in lines["key_prefix"]
    assert '"***"' in lines["minio.secret_access_key"]
    assert "hunter2" not in result.stdout


def test_config_show_json_and_flag_layer(cli: Cli, home: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text("lease_seconds = 9\nmax_parallel = 9\n")
    result = cli("--config", str(other), "config", "show", "--output", "json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["config_file"] == str(other)
    assert body["settings"]["lease_seconds"] == {
        "value": 9.0,
        "source": "file",
        "origin": f"config file {other}",
        "env": "HEADRACE_LEASE_SECONDS",
    }
    # the test's HEADRACE_MAX_PARALLEL=2 beats the file
    assert body["settings"]["max_parallel"]["value"] == 2


def test_config_show_warns_about_unknown_variables(cli: Cli) -> None:
    result = cli("config", "show", HEADRACE_MINIO_ENDPOINT="http://typo:9000")
    assert result.returncode == 0
    assert "HEADRACE_MINIO_ENDPOINT names no setting" in result.stdout


@pytest.mark.parametrize(
    ("env", "config", "named"),
    [
        ({"HEADRACE_EXECUTOR": "spark"}, "", "HEADRACE_EXECUTOR"),
        ({}, "max_parallel = 'lots'\n", "config.toml"),
    ],
)
def test_bad_value_exits_2_naming_the_source(
    cli: Cli, home: Path, env: dict[str, str], config: str, named: str
) -> None:
    if config:
        write_config(home, config)
    result = cli("config", "show", **env)
    assert result.returncode == 2
    assert named in result.stderr and "Traceback" not in result.stderr


def test_bad_flag_value_exits_2_naming_the_flag(cli: Cli, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("{}")
    result = cli("run", str(pipeline), "--executor", "spark")
    assert result.returncode == 2
    assert "--executor" in result.stderr and "warm, local or ray" in result.stderr


def test_doctor_passes_on_a_fresh_home(cli: Cli) -> None:
    result = cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS database" in result.stdout
    assert "PASS executor warm: a zygote started and forked a probe task" in result.stdout
    assert "PASS python environments" in result.stdout
    assert "PASS storage" in result.stdout
    assert "FAIL" not in result.stdout


def test_doctor_checks_the_migrated_database_and_local_executor(cli: Cli) -> None:
    assert cli("db", "upgrade").returncode == 0
    result = cli("doctor", "--output", "json", HEADRACE_EXECUTOR="local")
    assert result.returncode == 0, result.stdout
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["database"]["detail"].endswith("reachable, schema up to date")
    assert checks["executor local"]["ok"]


def test_doctor_fails_on_an_unreachable_database(cli: Cli) -> None:
    url = "postgresql+psycopg://nobody:pw@127.0.0.1:1/none"
    result = cli("doctor", HEADRACE_DATABASE_URL=url, HEADRACE_EXECUTOR="local")
    assert result.returncode == 1
    assert "FAIL database" in result.stdout and "fix:" in result.stdout
    assert ":pw@" not in result.stdout


def test_doctor_fails_on_a_wrong_object_store_endpoint(cli: Cli, bucket: str) -> None:
    result = cli(
        "doctor",
        HEADRACE_EXECUTOR="local",
        HEADRACE_PIPELINE_ROOT=f"minio://{bucket}/root",
        HEADRACE_MINIO_ENDPOINT_URL="http://127.0.0.1:1",
        HEADRACE_MINIO_TIMEOUT_SECONDS="2",
        HEADRACE_MINIO_MAX_RETRIES="0",
        HEADRACE_MINIO_ACCESS_KEY_ID=ACCESS_KEY,
        HEADRACE_MINIO_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    assert result.returncode == 1
    assert f"FAIL storage minio://{bucket}/root: write/read/delete at http://127.0.0.1:1" in (
        result.stdout.replace("\n", " ")
    )
    assert "fix: check [minio] endpoint_url" in result.stdout
    assert SECRET_KEY not in result.stdout


def test_doctor_writes_reads_and_deletes_in_a_real_bucket(
    cli: Cli, bucket: str, s3_endpoint: str
) -> None:
    result = cli(
        "doctor",
        HEADRACE_EXECUTOR="local",
        HEADRACE_PIPELINE_ROOT=f"minio://{bucket}/root",
        HEADRACE_MINIO_ENDPOINT_URL=s3_endpoint,
        HEADRACE_MINIO_USE_TLS="false",
        HEADRACE_MINIO_REGION="us-east-1",
        HEADRACE_MINIO_ACCESS_KEY_ID=ACCESS_KEY,
        HEADRACE_MINIO_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    assert result.returncode == 0, result.stdout
    assert f"PASS storage minio://{bucket}/root: write, read and delete at {s3_endpoint}" in (
        result.stdout
    )
