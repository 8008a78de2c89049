"""Namespace storage settings: Headrace's own resource (Kubeflow keeps these in ConfigMaps)."""

from __future__ import annotations

from typing import Any

from headrace.api.schemas.common import ApiModel


class ObjectStoreOverride(ApiModel):
    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool | None = None
    use_tls: bool | None = None
    ca_bundle: str | None = None
    credentials_file: str | None = None
    profile: str | None = None
    timeout_seconds: float | None = None
    max_retries: int | None = None
    credentials: str | None = None
    """The name of a secret in the server's settings (`[secrets.NAME]`); never the keys."""


class NamespaceStorageOverride(ApiModel):
    """What a namespace overrides; a field left out uses the global setting."""

    pipeline_root: str | None = None
    key_prefix: str | None = None
    object_store: ObjectStoreOverride | None = None


class EffectiveStorage(ApiModel):
    pipeline_root: str
    log_root: str
    key_prefix: str
    object_store: dict[str, Any] | None = None
    """The endpoint of the pipeline root's object store, its secret masked; None for paths."""


class NamespaceStorage(ApiModel):
    namespace: str
    override: NamespaceStorageOverride
    effective: EffectiveStorage


class NamespaceList(ApiModel):
    """The namespaces the server knows, by name; `default` always among them."""

    namespaces: list[str]
