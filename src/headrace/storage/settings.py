"""The storage contract: where artifacts and logs live, and how to reach each object store.

`StorageSettings` is built by the settings object (`headrace.config.Settings.storage()`, and
per namespace by `headrace.service.namespaces`) and handed down to the engine and the
executors. `filesystem_for` (in `storage/filesystems.py`) is the only code that turns a URI
and these settings into an fsspec filesystem.

URI schemes and the endpoint settings they use:

| scheme | filesystem | settings |
|---|---|---|
| path, `file://` | local | |
| `s3://bucket/prefix` | s3fs | `StorageSettings.s3` (AWS by default) |
| `minio://bucket/prefix` | s3fs | `StorageSettings.minio` (S3 protocol at `endpoint_url`) |
| `gs://bucket/prefix` | gcsfs | `StorageSettings.gcs` (`endpoint_url` for an emulator) |
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Scheme = Literal["file", "s3", "minio", "gs"]

REMOTE_SCHEMES: tuple[Scheme, ...] = ("s3", "minio", "gs")

DEFAULT_KEY_PREFIX = "{pipeline_name}/{run_id}"
"""Template for the keys of a run's artifacts and logs under a root.

Fields: `{namespace}`, `{pipeline_name}`, `{run_id}`. The task path, execution and attempt
are appended after it, so two runs (or namespaces) with different prefixes never share a key.
"""

KEY_PREFIX_FIELDS = frozenset({"namespace", "pipeline_name", "run_id"})


@dataclass(frozen=True)
class ObjectStoreSettings:
    """How to reach one object-store endpoint (S3 protocol or GCS).

    Credentials: static keys, else `credentials_file` (an AWS-style shared credentials file,
    section `profile` or `default`; S3 protocol only), else the client library's usual chain:
    environment (`AWS_ACCESS_KEY_ID`, `GOOGLE_APPLICATION_CREDENTIALS`), instance roles.
    """

    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool = False
    use_tls: bool = True
    ca_bundle: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    credentials_file: str | None = None
    profile: str | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 3

    def describe(self, scheme: Scheme) -> str:
        """The endpoint in words, for error messages (never the secret)."""
        if self.endpoint_url:
            return self.endpoint_url
        return "Google Cloud Storage" if scheme == "gs" else "AWS S3"

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        secret = "***" if self.secret_access_key else None
        return (
            f"ObjectStoreSettings(endpoint_url={self.endpoint_url!r}, region={self.region!r}, "
            f"path_style={self.path_style}, use_tls={self.use_tls}, "
            f"ca_bundle={self.ca_bundle!r}, access_key_id={self.access_key_id!r}, "
            f"secret_access_key={secret!r}, credentials_file={self.credentials_file!r}, "
            f"profile={self.profile!r}, timeout_seconds={self.timeout_seconds}, "
            f"max_retries={self.max_retries})"
        )


@dataclass(frozen=True)
class StorageSettings:
    """Where one namespace's artifacts and logs live, and the endpoints that reach them.

    `log_root` `None` means `<pipeline_root>/logs`: logs sit beside the artifacts, in the same
    bucket, so one set of credentials reaches both. Archived log keys are
    `<log_root>/<key prefix>/<task id>/<attempt>.log`; artifact URIs are
    `<pipeline_root>/<key prefix>/<task path>/<execution id>/<output name>`.
    """

    pipeline_root: str
    log_root: str | None = None
    key_prefix: str = DEFAULT_KEY_PREFIX
    s3: ObjectStoreSettings = field(default_factory=ObjectStoreSettings)
    minio: ObjectStoreSettings = field(default_factory=lambda: ObjectStoreSettings(path_style=True))
    gcs: ObjectStoreSettings = field(default_factory=ObjectStoreSettings)
    log_flush_seconds: float = 5.0
    """How often a running attempt's log is copied to its archive; 0: only when it ends."""

    def resolved_log_root(self) -> str:
        return self.log_root or f"{self.pipeline_root.rstrip('/')}/logs"

    def endpoint(self, scheme: Scheme) -> ObjectStoreSettings:
        """The endpoint settings used for URIs of `scheme` (`file` has none: defaults)."""
        if scheme == "s3":
            return self.s3
        if scheme == "minio":
            return self.minio
        if scheme == "gs":
            return self.gcs
        return ObjectStoreSettings()

    def with_pipeline_root(self, pipeline_root: str) -> StorageSettings:
        """The same endpoints with another root (a run's `--pipeline-root`)."""
        return replace(self, pipeline_root=pipeline_root)

    def key_prefix_for(self, *, namespace: str, pipeline_name: str, run_id: str) -> str:
        """The rendered key prefix of one run; raises `KeyError` naming an unknown field."""
        return self.key_prefix.format(
            namespace=namespace or "default", pipeline_name=pipeline_name, run_id=run_id
        ).strip("/")


def scheme_of(uri: str) -> Scheme:
    """`s3`, `minio`, `gs` for object-store URIs, `file` for everything else."""
    head, sep, _ = uri.partition("://")
    if not sep or head == "file":
        return "file"
    if head in REMOTE_SCHEMES:
        return head
    raise ValueError(
        f"unsupported storage URI {uri!r}: use a local path, file://, s3://, minio:// or gs://"
    )


def is_remote(uri: str) -> bool:
    return scheme_of(uri) != "file"
