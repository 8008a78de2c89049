"""Per-namespace artifact settings: validated when set, looked up through a cache when used.

A namespace may override the pipeline root, the key prefix of its artifacts and logs, and the
object-store endpoint of its bucket (Headrace's equivalent of Kubeflow's per-namespace
`kfp-launcher` ConfigMap). A namespace without an override uses the global settings. Secrets
never go to the database: an override names a secret of the settings (`[secrets.NAME]`).

Lookups are cached: a change made in this process is seen at once; one made by another process
(an API server, another worker) within `namespace_cache_seconds`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from headrace.config import KeyPrefix, Root, Settings, mask
from headrace.errors import ConfigError, InvalidArgumentError
from headrace.storage.settings import ObjectStoreSettings, StorageSettings, scheme_of
from headrace.store import Store
from headrace.store.records import NamespaceStorageRecord

_SECRET_FIELDS = ("access_key_id", "secret_access_key")


class ObjectStoreOverride(BaseModel):
    """Endpoint settings for a namespace's bucket; None keeps the global value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool | None = None
    use_tls: bool | None = None
    ca_bundle: str | None = None
    credentials_file: str | None = None
    """An AWS-style shared credentials file (a path, not a secret) readable by every process."""
    profile: str | None = None
    timeout_seconds: float | None = Field(None, gt=0)
    max_retries: int | None = Field(None, ge=0)
    credentials: str | None = None
    """The name of a secret in the settings (`[secrets.NAME]` in the config file)."""


class StorageOverride(BaseModel):
    """What a namespace overrides; None (or an empty object_store) keeps the global setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pipeline_root: Root | None = None
    key_prefix: KeyPrefix | None = None
    object_store: ObjectStoreOverride = Field(default_factory=ObjectStoreOverride)

    @property
    def is_empty(self) -> bool:
        return self == StorageOverride()

    def as_dict(self) -> dict[str, Any]:
        """Only the fields the namespace sets."""
        data = self.model_dump(exclude_none=True)
        if not data.get("object_store"):
            data.pop("object_store", None)
        return data


def parse_override(data: Mapping[str, Any]) -> StorageOverride:
    """Validate an override, naming the field at fault (`object_store.timeout_seconds`)."""
    store = data.get("object_store")
    if isinstance(store, Mapping):
        for secret in _SECRET_FIELDS:
            if store.get(secret):
                raise InvalidArgumentError(
                    f"namespace storage field 'object_store.{secret}' is not accepted: "
                    "secrets are not stored in the database",
                    "put the keys in a named secret ([secrets.NAME] in the config file) and set "
                    "object_store.credentials = NAME",
                )
    try:
        return StorageOverride.model_validate(dict(data))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            problems.append(f"namespace storage field {field!r}: {message}")
        raise InvalidArgumentError(
            "; ".join(problems),
            "fields: pipeline_root, key_prefix, object_store.{endpoint_url, region, path_style, "
            "use_tls, ca_bundle, credentials_file, profile, timeout_seconds, max_retries, "
            "credentials}",
        ) from None


def override_of(record: NamespaceStorageRecord | None) -> StorageOverride:
    """The stored override as a model (empty for a namespace without one)."""
    if record is None:
        return StorageOverride()
    return StorageOverride(
        pipeline_root=record.pipeline_root,
        key_prefix=record.key_prefix,
        object_store=ObjectStoreOverride.model_validate(record.object_store),
    )


def effective_storage(
    settings: Settings, override: StorageOverride, namespace: str = ""
) -> StorageSettings:
    """The global storage settings with a namespace's override applied."""
    base = settings.storage()
    if override.is_empty:
        return base
    storage = base
    if override.pipeline_root:
        # The namespace's logs go beside its own artifacts, not into the global log root.
        storage = replace(storage, pipeline_root=override.pipeline_root, log_root=None)
    if override.key_prefix:
        storage = replace(storage, key_prefix=override.key_prefix)
    fields = override.object_store.model_dump(exclude_none=True)
    if not fields:
        return storage
    scheme = scheme_of(storage.pipeline_root)
    if scheme == "file":
        return storage
    secret_name = fields.pop("credentials", None)
    if secret_name is not None:
        secret = settings.secrets.get(secret_name)
        if secret is None:
            raise ConfigError(
                f"namespace {namespace!r} uses the secret {secret_name!r}, which is not in the "
                "settings of this process",
                f"add [secrets.{secret_name}] to the config file of every Headrace process",
            )
        if not secret.has_storage_credentials():
            raise ConfigError(
                f"namespace {namespace!r} uses the secret {secret_name!r} as storage "
                "credentials, but it has neither access_key_id and secret_access_key nor "
                "credentials_file",
                f"add both keys, or credentials_file (and profile), to [secrets.{secret_name}]",
            )
        fields.update(secret.key_fields())
    elif "credentials_file" in fields:
        # The namespace's own file replaces the global keys, which would otherwise win.
        fields.update(access_key_id=None, secret_access_key=None)
    endpoint: ObjectStoreSettings = replace(storage.endpoint(scheme), **fields)
    if scheme == "s3":
        return replace(storage, s3=endpoint)
    if scheme == "minio":
        return replace(storage, minio=endpoint)
    return replace(storage, gcs=endpoint)


_changes = itertools.count(1)
_generation = next(_changes)
_generation_lock = threading.Lock()


def _bump() -> None:
    """Invalidate every namespace cache of this process."""
    global _generation
    with _generation_lock:
        _generation = next(_changes)


class NamespaceSettings:
    """Reads and writes namespace overrides; `storage_settings_for` answers from a cache."""

    def __init__(
        self, store: Store, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._settings = settings
        self._ttl = settings.namespace_cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, int, StorageSettings]] = {}

    @property
    def settings(self) -> Settings:
        return self._settings

    def storage_settings_for(self, namespace: str) -> StorageSettings:
        """Where the namespace's artifacts and logs go and how to reach them (cached)."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(namespace)
        if cached is not None and cached[0] > now and cached[1] == _generation:
            return cached[2]
        generation = _generation
        override = override_of(self._store.get_namespace_storage(namespace))
        storage = effective_storage(self._settings, override, namespace)
        if self._ttl > 0:
            with self._lock:
                self._cache[namespace] = (now + self._ttl, generation, storage)
        return storage

    def get_override(self, namespace: str) -> StorageOverride:
        """The namespace's override, read from the database (empty when it has none)."""
        return override_of(self._store.get_namespace_storage(namespace))

    def set_override(
        self, namespace: str, data: Mapping[str, Any], *, merge: bool = False
    ) -> StorageOverride:
        """Store a validated override; with merge, fields not in `data` keep their values.

        With merge, a field given as None or "" goes back to the global setting.
        """
        if merge:
            current = self.get_override(namespace).model_dump(exclude_none=True)
            stores = {**current.get("object_store", {}), **dict(data.get("object_store") or {})}
            current.update({k: v for k, v in data.items() if k != "object_store"})
            current["object_store"] = stores
            data = _drop_empty(current)
        override = parse_override(data)
        self._check_usable(namespace, override)
        if override.is_empty:
            self.clear_override(namespace)
            return override
        self._store.set_namespace_storage(
            namespace,
            pipeline_root=override.pipeline_root,
            key_prefix=override.key_prefix,
            object_store=override.object_store.model_dump(exclude_none=True),
        )
        _bump()
        return override

    def clear_override(self, namespace: str) -> bool:
        """Go back to the global settings; False when the namespace had no override."""
        cleared = self._store.clear_namespace_storage(namespace)
        _bump()
        return cleared

    def overrides(self) -> dict[str, StorageOverride]:
        """Every namespace that has an override."""
        return {r.namespace: override_of(r) for r in self._store.list_namespace_storage()}

    def _check_usable(self, namespace: str, override: StorageOverride) -> None:
        fields = override.object_store.model_dump(exclude_none=True)
        if not fields:
            return
        root = override.pipeline_root or self._settings.resolved_pipeline_root()
        if scheme_of(root) == "file":
            raise InvalidArgumentError(
                f"namespace storage field 'object_store' needs an object-store pipeline root, "
                f"but namespace {namespace!r} writes to the local path {root!r}",
                "set pipeline_root to an s3://, minio:// or gs:// URI as well",
            )
        secret = fields.get("credentials")
        if secret is not None and secret not in self._settings.secrets:
            known = ", ".join(sorted(self._settings.secrets)) or "none"
            raise InvalidArgumentError(
                f"namespace storage field 'object_store.credentials': no secret named {secret!r} "
                f"in the settings (known: {known})",
                f"add [secrets.{secret}] with access_key_id and secret_access_key to the config "
                "file",
            )


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = _drop_empty(value)
        if value is None or value == "":
            continue
        out[key] = value
    return out


def storage_view(
    namespace: str, override: StorageOverride, storage: StorageSettings
) -> dict[str, Any]:
    """The override and the effective settings as JSON, secrets masked."""
    scheme = scheme_of(storage.pipeline_root)
    endpoint = asdict(storage.endpoint(scheme))
    if endpoint["secret_access_key"]:
        endpoint["secret_access_key"] = "***"
    return {
        "namespace": namespace,
        "override": override.as_dict(),
        "effective": {
            "pipeline_root": mask(storage.pipeline_root),
            "log_root": mask(storage.resolved_log_root()),
            "key_prefix": storage.key_prefix,
            "object_store": endpoint if scheme != "file" else None,
        },
    }
