"""A run whose process is killed with SIGKILL is finished by `headrace runs resume`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.cli.conftest import HEADRACE, Cli

PIPELINES = str(Path(__file__).with_name("pipelines.py"))


def _wait_for(path: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def test_killed_run_resumes_without_rerunning_finished_tasks(cli: Cli, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen(
        [HEADRACE, "run", PIPELINES, "--pipeline", "resumable", "--param", f"workdir={work}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli.env(),
    )
    pid_file = work / "second.pid"
    _wait_for(pid_file)
    proc.send_signal(signal.SIGKILL)  # the machine "dies": the CLI and the task it ran
    proc.wait(timeout=30)
    time.sleep(0.2)  # the pid file is written before the task sleeps
    with contextlib.suppress(ProcessLookupError):  # warm tasks die with their Headrace process
        os.kill(int(pid_file.read_text()), signal.SIGKILL)

    run = cli.json("runs", "list")[0]
    assert run["state"] == "RUNNING"

    resumed = cli("runs", "resume", run["id"][:8], "--quiet")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    assert (work / "ran.txt").read_text().splitlines() == [
        "first:0",
        "second:0",
        "second:1",
        "third:0",
    ]
    detail = cli.json("runs", "show", run["id"])
    assert detail["state"] == "SUCCEEDED"
    attempts = {t["name"]: t["attempts"] for t in detail["tasks"]}
    assert attempts == {"mark": 1, "mark-2": 2, "mark-3": 1}
    first_attempt = cli("logs", run["id"], "mark-2", "--attempt", "0")
    assert first_attempt.returncode == 0


def test_a_finished_run_cannot_be_resumed(cli: Cli) -> None:
    assert cli("run", PIPELINES, "--pipeline", "adder", "--param", "a=1", "-q").returncode == 0
    run_id = cli.json("runs", "list")[0]["id"]
    result = cli("runs", "resume", run_id)
    assert result.returncode == 2
    assert "already ended SUCCEEDED" in result.stderr
