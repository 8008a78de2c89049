"""Start a real `headrace server` process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HEADRACE = str(Path(sys.executable).parent / "headrace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int, **extra_env: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
    env.update(HEADRACE_HOME=str(home), HEADRACE_LEASE_SECONDS="2", HEADRACE_MAX_PARALLEL="2")
    env.update(extra_env)
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
