"""`headrace logs` reads archived logs after the run's local directories are deleted."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.conftest import Cli

from .conftest import ACCESS_KEY, SECRET_KEY

PIPELINES = str(Path(__file__).with_name("pipelines.py"))


def test_logs_are_read_from_the_archive_once_local_dirs_are_gone(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    cli = Cli(tmp_path / "home")
    env = {
        "HEADRACE_MINIO_ENDPOINT_URL": s3_endpoint,
        "HEADRACE_MINIO_ACCESS_KEY_ID": ACCESS_KEY,
        "HEADRACE_MINIO_SECRET_ACCESS_KEY": SECRET_KEY,
        "HEADRACE_MINIO_REGION": "us-east-1",
        "HEADRACE_EXECUTOR": "local",
    }
    root = f"minio://{bucket}/root"
    ran = cli("run", PIPELINES, "--pipeline", "remote_artifacts", "--pipeline-root", root, **env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    run_id = cli.json("runs", "list")[0]["id"]
    shutil.rmtree(cli.home / "work")
    shutil.rmtree(cli.home / "logs")

    shown = cli("logs", run_id, "show", **env)
    assert shown.returncode == 0, shown.stderr
    assert f"uri={root}/remote-artifacts/{run_id}/produce/" in shown.stdout
    assert "hello" in shown.stdout

    followed = cli("logs", run_id, "produce", "--follow", **env)
    assert followed.returncode == 0, followed.stderr
    assert "producing hello" in followed.stdout
