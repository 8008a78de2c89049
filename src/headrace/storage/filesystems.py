"""The one place that builds fsspec filesystems, and the byte transfers built on them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from headrace.errors import HeadraceError, StorageError
from headrace.storage.settings import ObjectStoreSettings, Scheme, StorageSettings, scheme_of


def filesystem_for(uri: str, settings: StorageSettings) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem that holds `uri`, and the path of `uri` inside it."""
    scheme = scheme_of(uri)
    if scheme == "file":
        return LocalFileSystem(), uri.removeprefix("file://")
    rest = uri.split("://", 1)[1]
    endpoint = settings.endpoint(scheme)
    if scheme == "gs":
        return _gcs(endpoint), rest
    return _s3(endpoint), rest


def _endpoint_url(endpoint: ObjectStoreSettings) -> str | None:
    url = endpoint.endpoint_url
    if url and "://" not in url:
        url = ("https://" if endpoint.use_tls else "http://") + url
    return url


def _s3(endpoint: ObjectStoreSettings) -> fsspec.AbstractFileSystem:
    client: dict[str, Any] = {}
    if endpoint.region:
        client["region_name"] = endpoint.region
    if endpoint.ca_bundle:
        client["verify"] = endpoint.ca_bundle
    config: dict[str, Any] = {
        "connect_timeout": endpoint.timeout_seconds,
        "read_timeout": endpoint.timeout_seconds,
        "retries": {"max_attempts": endpoint.max_retries, "mode": "standard"},
    }
    if endpoint.path_style:
        config["s3"] = {"addressing_style": "path"}
    options: dict[str, Any] = {
        "endpoint_url": _endpoint_url(endpoint),
        "use_ssl": endpoint.use_tls,
        "client_kwargs": client,
        "config_kwargs": config,
        # Logs and artifacts are written by other processes: never answer from a stale listing.
        "use_listings_cache": False,
    }
    if endpoint.access_key_id:
        options["key"] = endpoint.access_key_id
    if endpoint.secret_access_key:
        options["secret"] = endpoint.secret_access_key
    fs = fsspec.filesystem("s3", **options)
    # s3fs retries some errors on top of botocore's retries; one layer is enough.
    fs.retries = 1
    return fs


def _gcs(endpoint: ObjectStoreSettings) -> fsspec.AbstractFileSystem:
    options: dict[str, Any] = {"timeout": endpoint.timeout_seconds, "use_listings_cache": False}
    if endpoint.endpoint_url:
        options["endpoint_url"] = _endpoint_url(endpoint)
    if endpoint.access_key_id is None and endpoint.endpoint_url:
        options["token"] = "anon"  # an emulator takes no credentials
    try:
        return fsspec.filesystem("gcs", **options)
    except ImportError as exc:
        raise StorageError(
            "gs:// storage needs the gcsfs package", "pip install 'headrace[gcs]'"
        ) from exc


@contextlib.contextmanager
def storage_errors(action: str, uri: str, settings: StorageSettings) -> Iterator[None]:
    """Turn any failure of `action` on `uri` into a StorageError naming the endpoint."""
    try:
        yield
    except HeadraceError:  # already says what is wrong (a StorageError, a bad path)
        raise
    except Exception as exc:
        scheme: Scheme = scheme_of(uri)
        where = "the local filesystem"
        if scheme != "file":
            where = settings.endpoint(scheme).describe(scheme)
        raise StorageError(
            f"could not {action} {uri} at {where}: {type(exc).__name__}: {exc}",
            "check that the object store is reachable and the endpoint and credentials "
            "settings are right",
        ) from exc


def download(uri: str, local: Path, settings: StorageSettings) -> None:
    """Copy a file or a directory tree at `uri` to `local`."""
    with storage_errors("download", uri, settings):
        fs, path = filesystem_for(uri, settings)
        local.parent.mkdir(parents=True, exist_ok=True)
        if fs.isdir(path):
            local.mkdir(parents=True, exist_ok=True)
            fs.get(path.rstrip("/") + "/", str(local) + "/", recursive=True)
        else:
            fs.get_file(path, str(local))


def upload(local: Path, uri: str, settings: StorageSettings) -> None:
    """Copy a local file or directory tree to `uri` (a directory keeps its relative paths)."""
    with storage_errors("upload to", uri, settings):
        fs, path = filesystem_for(uri, settings)
        if local.is_dir():
            for file in sorted(p for p in local.rglob("*") if p.is_file()):
                fs.put_file(str(file), f"{path}/{file.relative_to(local).as_posix()}")
        else:
            if isinstance(fs, LocalFileSystem):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            fs.put_file(str(local), path)


def read_bytes(uri: str, settings: StorageSettings, start: int = 0) -> bytes | None:
    """The bytes of the object at `uri` from offset `start`; None when it does not exist."""
    with storage_errors("read", uri, settings):
        fs, path = filesystem_for(uri, settings)
        try:
            with fs.open(path, "rb") as f:
                f.seek(start)
                data: bytes = f.read()
                return data
        except FileNotFoundError:
            return None


def exists(uri: str, settings: StorageSettings) -> bool:
    """Whether a file or a directory exists at `uri`."""
    with storage_errors("look up", uri, settings):
        fs, path = filesystem_for(uri, settings)
        return bool(fs.exists(path))
