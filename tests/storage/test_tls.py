"""Object stores over TLS with a private CA: `ca_bundle` trusted, or a clear failure."""

import dataclasses
from pathlib import Path

import pytest

from headrace.errors import StorageError
from headrace.executors import LocalExecutor, PythonEnvCache, WarmExecutor
from headrace.states import RunState
from headrace.storage.filesystems import read_bytes, write_bytes
from headrace.storage.settings import StorageSettings
from headrace.store import Store

from .pipelines import one_producer, remote_artifacts
from .test_remote_roots import _run, python_envs, store
from .tls import ServerCertificate

__all__ = ["python_envs", "store"]


@pytest.fixture
def tls_storage(
    storage: StorageSettings, s3_tls_endpoint: str, server_certificate: ServerCertificate
) -> StorageSettings:
    """The test's bucket through the https server, trusting the private CA."""
    endpoint = dataclasses.replace(
        storage.s3,
        endpoint_url=s3_tls_endpoint,
        use_tls=True,
        ca_bundle=str(server_certificate.ca_pem),
        max_retries=1,
    )
    return dataclasses.replace(storage, s3=endpoint, minio=endpoint)


def test_a_pipeline_runs_against_an_https_endpoint_with_the_ca_bundle(
    tmp_path: Path, store: Store, tls_storage: StorageSettings, python_envs: PythonEnvCache
) -> None:
    run = _run(tmp_path, store, WarmExecutor(envs=python_envs), remote_artifacts, tls_storage)
    assert run.state is RunState.SUCCEEDED, run.error
    tasks = {t.name: t for t in store.list_tasks(run.id)}
    assert tasks["consume"].outputs["Output"] == "hello|w.bin|1"
    events = {e.key: e.artifact for e in store.task_events(tasks["produce"].id, "OUTPUT")}
    assert events["data"].uri.startswith(tls_storage.pipeline_root)
    assert read_bytes(events["data"].uri, tls_storage) == b"hello"


def test_without_the_ca_bundle_the_task_fails_naming_endpoint_and_fix(
    tmp_path: Path,
    store: Store,
    tls_storage: StorageSettings,
    python_envs: PythonEnvCache,
    s3_tls_endpoint: str,
) -> None:
    untrusted = dataclasses.replace(
        tls_storage, s3=dataclasses.replace(tls_storage.s3, ca_bundle=None)
    )
    run = _run(tmp_path, store, LocalExecutor(envs=python_envs), one_producer, untrusted)
    assert run.state is RunState.FAILED
    attempts = store.list_attempts(run_id=run.id)
    assert attempts
    for attempt in attempts:
        assert attempt.error is not None
        assert f"at {s3_tls_endpoint}" in attempt.error, attempt.error
        assert "CERTIFICATE_VERIFY_FAILED" in attempt.error
        assert "ca_bundle" in attempt.error


def test_tls_off_against_a_tls_server_fails_naming_the_http_endpoint(
    tls_storage: StorageSettings, s3_tls_endpoint: str
) -> None:
    host_port = s3_tls_endpoint.removeprefix("https://")
    plain = dataclasses.replace(
        tls_storage, s3=dataclasses.replace(tls_storage.s3, endpoint_url=host_port, use_tls=False)
    )
    with pytest.raises(StorageError) as caught:
        write_bytes(f"{plain.pipeline_root}/probe", b"x", plain)
    assert f"at http://{host_port}:" in caught.value.message
    assert "use_tls" in caught.value.hint
