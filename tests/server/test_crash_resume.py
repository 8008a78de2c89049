"""Kill `headrace server` with SIGKILL mid-run; started again, it finishes the run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import kfp

from tests.cli import pipelines

HEADRACE = str(Path(sys.executable).parent / "headrace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
    env.update(HEADRACE_HOME=str(home), HEADRACE_LEASE_SECONDS="2", HEADRACE_MAX_PARALLEL="2")
    proc = subprocess.Popen(
        [HEADRACE, "server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            assert proc.poll() is None, "the server exited at start"
            assert time.monotonic() < deadline, "the server did not start listening"
            time.sleep(0.1)


def _wait_for(path: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def test_sigkilled_server_resumes_the_run_without_redoing_finished_tasks(tmp_path: Path) -> None:
    home, work, port = tmp_path / "home", tmp_path / "work", _free_port()
    work.mkdir()
    server = _start(home, port)
    try:
        client = kfp.Client(host=f"http://127.0.0.1:{port}")
        run = client.create_run_from_pipeline_func(
            pipelines.resumable, arguments={"workdir": str(work)}
        )
        _wait_for(work / "second.pid")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    time.sleep(0.2)
    os.kill(int((work / "second.pid").read_text()), signal.SIGKILL)  # the whole machine died

    server = _start(home, port)
    try:
        client = kfp.Client(host=f"http://127.0.0.1:{port}")
        assert client.get_run(run.run_id).state == "RUNNING"
        done = client.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.5)
        assert done.state == "SUCCEEDED"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert (work / "ran.txt").read_text().splitlines() == [
        "first:0",
        "second:0",
        "second:1",
        "third:0",
    ]
