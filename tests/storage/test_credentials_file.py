"""S3 credentials from an AWS-style shared credentials file, and the errors when it is wrong."""

import dataclasses
from pathlib import Path

import pytest

from headrace.errors import StorageError
from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.states import RunState
from headrace.storage.credentials import read_credentials_file
from headrace.storage.filesystems import read_bytes, write_bytes
from headrace.storage.settings import ObjectStoreSettings, StorageSettings
from headrace.store import Store

from .conftest import ACCESS_KEY, SECRET_KEY
from .pipelines import one_producer
from .test_remote_roots import _run, python_envs, store

__all__ = ["python_envs", "store"]


def write_credentials(folder: Path, profile: str = "team-a") -> Path:
    path = folder / "credentials"
    path.write_text(
        "[default]\naws_access_key_id = other\naws_secret_access_key = other-secret\n\n"
        f"[{profile}]\naws_access_key_id = {ACCESS_KEY}\n"
        f"aws_secret_access_key = {SECRET_KEY}\naws_session_token = a-token\n"
    )
    return path


@pytest.fixture
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing in the environment, ~/.aws or instance metadata that botocore could use."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def from_file(storage: StorageSettings, path: Path, profile: str | None) -> StorageSettings:
    endpoint = dataclasses.replace(
        storage.s3,
        access_key_id=None,
        secret_access_key=None,
        credentials_file=str(path),
        profile=profile,
    )
    return dataclasses.replace(storage, s3=endpoint, minio=endpoint)


def test_the_profile_s_keys_and_token_are_read(tmp_path: Path) -> None:
    keys = read_credentials_file(str(write_credentials(tmp_path)), "team-a")
    assert (keys.access_key_id, keys.secret_access_key) == (ACCESS_KEY, SECRET_KEY)
    assert keys.session_token == "a-token"
    assert SECRET_KEY not in repr(keys)
    assert read_credentials_file(str(tmp_path / "credentials"), None).access_key_id == "other"


@pytest.mark.parametrize(
    ("content", "profile", "expected"),
    [
        (None, "team-a", "cannot read credentials file {path} (profile 'team-a')"),
        ("[team-a]\n", "team-b", "has no profile 'team-b' (profiles: 'team-a')"),
        ("[team-a]\naws_access_key_id = k\n", "team-a", "lacks aws_access_key_id or aws_secret"),
        ("not ini", None, "credentials file {path} (profile 'default') is not an INI file"),
    ],
)
def test_a_bad_file_or_profile_is_an_error_naming_both(
    tmp_path: Path, content: str | None, profile: str | None, expected: str
) -> None:
    path = tmp_path / "credentials"
    if content is not None:
        path.write_text(content)
    with pytest.raises(StorageError) as caught:
        read_credentials_file(str(path), profile)
    assert expected.format(path=path) in caught.value.message
    assert caught.value.hint


def test_a_pipeline_runs_with_keys_only_from_the_file(
    tmp_path: Path,
    store: Store,
    storage: StorageSettings,
    python_envs: PythonEnvCache,
    no_ambient_credentials: None,
) -> None:
    # Without the file there are no credentials at all: the run below can only use the file's.
    bare = from_file(storage, tmp_path / "none", None)
    bare = dataclasses.replace(bare, s3=dataclasses.replace(bare.s3, credentials_file=None))
    with pytest.raises(StorageError, match="NoCredentialsError"):
        write_bytes(f"{storage.pipeline_root}/probe", b"x", bare)

    settings = from_file(storage, write_credentials(tmp_path), "team-a")
    run = _run(tmp_path, store, LocalExecutor(envs=python_envs), one_producer, settings)
    assert run.state is RunState.SUCCEEDED, run.error
    task = next(t for t in store.list_tasks(run.id) if t.name == "produce")
    events = {e.key: e.artifact for e in store.task_events(task.id, "OUTPUT")}
    assert read_bytes(events["data"].uri, settings) == b"hello"


def test_a_wrong_profile_fails_the_task_naming_file_and_profile(
    tmp_path: Path,
    store: Store,
    storage: StorageSettings,
    python_envs: PythonEnvCache,
    no_ambient_credentials: None,
) -> None:
    path = write_credentials(tmp_path)
    settings = from_file(storage, path, "team-z")
    run = _run(tmp_path, store, LocalExecutor(envs=python_envs), one_producer, settings)
    assert run.state is RunState.FAILED
    attempts = store.list_attempts(run_id=run.id)
    assert attempts
    for attempt in attempts:
        assert attempt.error is not None
        assert f"at {storage.s3.endpoint_url}: credentials file {path} (profile 'team-z')" in (
            attempt.error
        ), attempt.error
        assert "Traceback" not in attempt.error


def test_gcs_endpoints_refuse_a_credentials_file(tmp_path: Path) -> None:
    path = write_credentials(tmp_path)
    settings = StorageSettings(
        pipeline_root="gs://bucket/root",
        gcs=ObjectStoreSettings(endpoint_url="http://127.0.0.1:1", credentials_file=str(path)),
    )
    with pytest.raises(StorageError, match=r"\[gcs\] credentials_file and profile are not used"):
        write_bytes("gs://bucket/root/x", b"x", settings)
