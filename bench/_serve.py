"""A `headrace server` process for a benchmark, and a scratch PostgreSQL database to serve."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

HOST = "127.0.0.1"
READY_SECONDS = 60.0
STOP_SECONDS = 10.0


@contextmanager
def serve(database_url: str, workdir: Path) -> Iterator[str]:
    """Run `headrace server --concurrent-runs 0` on a free local port; yield its base URL."""
    port = _free_port()
    home = workdir / f"home-{port}"
    log = workdir / f"server-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
    env["HEADRACE_HOME"] = str(home)
    command = [
        _headrace(),
        "server",
        *("--host", HOST, "--port", str(port)),
        *("--database-url", database_url, "--concurrent-runs", "0"),
    ]
    base = f"http://{HOST}:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _headrace() -> str:
    beside = Path(sys.executable).parent / "headrace"
    found = str(beside) if beside.exists() else shutil.which("headrace")
    if found is None:
        raise SystemExit("no `headrace` command: run `make install` first")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"headrace server exited {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/apis/v2beta1/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"headrace server not ready after {READY_SECONDS:.0f} s:\n{log.read_text()}")


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[tuple[str | None, str | None]]:
    """Yield (URL of a new empty database, None), dropped afterwards; or (None, why not)."""
    name = f"headrace_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (SQLAlchemyError, ModuleNotFoundError) as exc:
        admin.dispose()
        yield None, f"cannot create a database at {admin_url}: {type(exc).__name__}"
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False), None
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
