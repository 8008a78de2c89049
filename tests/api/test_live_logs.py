"""A running attempt's log read from another machine: the local file is gone, the lines come
from the copies flushed to the object store every `log_flush_seconds`, through the API and
`headrace logs --follow` (run as the real command with a home of its own)."""

from __future__ import annotations

import os
import selectors
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from kfp import compiler

from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.service.namespaces import NamespaceSettings
from headrace.service.runs import run_engine
from headrace.states import AttemptState
from headrace.storage.filesystems import read_bytes
from headrace.store import Store
from headrace.store.records import AttemptRecord
from tests.api.conftest import API, settings_app
from tests.api.live_pipelines import chatty_pipeline
from tests.api.object_store import s3_settings
from tests.cli.conftest import HEADRACE, Cli
from tests.storage.conftest import ACCESS_KEY, SECRET_KEY, s3_endpoint

__all__ = ["s3_endpoint"]


def _wait_for(what: str, check: Any, seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _read_until(proc: subprocess.Popen[bytes], text: str, seconds: float = 60.0) -> str:
    """What the process printed until `text` appeared (bounded by `seconds`)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    seen = b""
    deadline = time.monotonic() + seconds
    while text.encode() not in seen and time.monotonic() < deadline:
        if selector.select(timeout=0.1):
            chunk = os.read(fd, 65536)  # unbuffered: select() must see every byte not yet read
            if not chunk:
                break
            seen += chunk
    assert text.encode() in seen, seen
    return seen.decode()


def test_a_running_attempts_log_is_read_from_the_store_once_the_local_file_is_gone(
    tmp_path: Path, s3_endpoint: str
) -> None:
    settings = s3_settings(tmp_path / "home", s3_endpoint, log_flush_seconds=0.2)
    spec_path = tmp_path / "chatty.yaml"
    compiler.Compiler().compile(chatty_pipeline, str(spec_path))
    spec = yaml.safe_load(spec_path.read_text())
    marker = tmp_path / "go"
    database = f"sqlite:///{tmp_path}/headrace.db"
    with Store.connect(database) as store:
        app = settings_app(store, settings)
        with TestClient(app, raise_server_exceptions=False) as api:
            body = {
                "display_name": "live",
                "pipeline_spec": spec,
                "runtime_config": {"parameters": {"marker": str(marker)}},
            }
            run_id = api.post(f"{API}/runs", json=body).json()["run_id"]
            executor = LocalExecutor(envs=PythonEnvCache(tmp_path / "envs"))
            storage_for = NamespaceSettings(store, settings).storage_settings_for
            engine = run_engine(store, executor, settings.home, 2, storage_for=storage_for)
            worker = threading.Thread(target=engine.execute, args=(run_id,), daemon=True)
            worker.start()
            follower: subprocess.Popen[bytes] | None = None
            try:

                def started() -> AttemptRecord | None:
                    for a in store.list_attempts(run_id=run_id):
                        local = Path(a.log_path)
                        if local.exists() and "first line" in local.read_text():
                            return a
                    return None

                attempt: AttemptRecord = _wait_for("the first line", started)
                os.unlink(attempt.log_path)  # as on any machine but the worker's
                logs = f"{API}/runs/{run_id}/tasks/{attempt.task_id}/logs"
                response = _wait_for(
                    "the first line in the store",
                    lambda: (
                        (r := api.get(logs)).status_code == 200 and "first line" in r.text and r
                    ),
                )
                assert response.headers["x-headrace-state"] == "RUNNING"
                assert "second line" not in response.text

                other_machine = Cli(tmp_path / "elsewhere")
                env = other_machine.env(
                    HEADRACE_DATABASE_URL=database,
                    HEADRACE_PIPELINE_ROOT=settings.resolved_pipeline_root(),
                    HEADRACE_S3_ENDPOINT_URL=s3_endpoint,
                    HEADRACE_S3_REGION="us-east-1",
                    HEADRACE_S3_PATH_STYLE="true",
                    HEADRACE_S3_USE_TLS="false",
                    HEADRACE_S3_ACCESS_KEY_ID=ACCESS_KEY,
                    HEADRACE_S3_SECRET_ACCESS_KEY=SECRET_KEY,
                )
                follower = subprocess.Popen(
                    [HEADRACE, "logs", run_id, "chatty", "--follow"],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                )
                before = _read_until(follower, "first line")
                assert "second line" not in before
                marker.touch()
                out, err = follower.communicate(timeout=120)
                assert follower.returncode == 0, err
                assert "second line" in before + out.decode()
            finally:
                marker.touch()
                worker.join(timeout=120)
                executor.shutdown()
                if follower is not None and follower.poll() is None:
                    follower.kill()
                    follower.wait()
            [ended] = store.list_attempts(run_id=run_id)
            assert ended.state is AttemptState.SUCCEEDED
            assert ended.log_uri is not None
            archived = read_bytes(ended.log_uri, storage_for("default")) or b""
            assert b"first line\n" in archived and b"second line\n" in archived
