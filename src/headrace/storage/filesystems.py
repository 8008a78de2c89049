"""The one place that builds fsspec filesystems, and the byte transfers built on them."""

from __future__ import annotations

import contextlib
import errno
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headrace.errors import HeadraceError, StorageError
from headrace.storage.credentials import CredentialsFileError, read_credentials_file
from headrace.storage.settings import ObjectStoreSettings, Scheme, StorageSettings, scheme_of

if TYPE_CHECKING:
    import fsspec

# fsspec is imported where a filesystem is made (about 25 ms): a run whose artifacts and logs
# stay on this machine never needs it.


def filesystem_for(uri: str, settings: StorageSettings) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem that holds `uri`, and the path of `uri` inside it."""
    scheme = scheme_of(uri)
    if scheme == "file":
        from fsspec.implementations.local import LocalFileSystem

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
    if endpoint.credentials_file and not endpoint.access_key_id:
        # Read at every build, so keys rotated in the file are used by the next operation.
        keys = read_credentials_file(endpoint.credentials_file, endpoint.profile)
        options["key"] = keys.access_key_id
        options["secret"] = keys.secret_access_key
        if keys.session_token:
            options["token"] = keys.session_token
    import fsspec

    fs = fsspec.filesystem("s3", **options)
    # s3fs retries some errors on top of botocore's retries; one layer is enough.
    fs.retries = 1
    return fs


def _gcs(endpoint: ObjectStoreSettings) -> fsspec.AbstractFileSystem:
    if endpoint.credentials_file or endpoint.profile:
        raise StorageError(
            "[gcs] credentials_file and profile are not used: they name an AWS-style "
            "credentials file, which only S3-protocol stores (s3://, minio://) read",
            "unset them; for gs:// set GOOGLE_APPLICATION_CREDENTIALS to a service-account key",
        )
    options: dict[str, Any] = {"timeout": endpoint.timeout_seconds, "use_listings_cache": False}
    if endpoint.endpoint_url:
        options["endpoint_url"] = _endpoint_url(endpoint)
    if endpoint.access_key_id is None and endpoint.endpoint_url:
        options["token"] = "anon"  # an emulator takes no credentials
    try:
        import gcsfs.core
    except ImportError as exc:
        raise StorageError(
            "gs:// storage needs the gcsfs package", "pip install 'headrace[gcs]'"
        ) from exc
    if endpoint.endpoint_url:
        # gcsfs's default class asks Google's gRPC control API for each bucket's layout
        # (hierarchical or zonal), which an emulator or a GCS-compatible server does not
        # answer: every operation would wait for its 60 s timeout. The core class speaks JSON.
        fs: fsspec.AbstractFileSystem = gcsfs.core.GCSFileSystem(**options)
        return fs
    import fsspec

    return fsspec.filesystem("gcs", **options)


@contextlib.contextmanager
def storage_errors(action: str, uri: str, settings: StorageSettings) -> Iterator[None]:
    """Turn any failure of `action` on `uri` into a StorageError naming the endpoint."""
    try:
        yield
    except CredentialsFileError as exc:  # names the file and profile; add what and where
        where = describe_endpoint(settings.endpoint(scheme_of(uri)), scheme_of(uri))
        # A plain StorageError: an enclosing storage_errors passes it on unchanged.
        message = f"could not {action} {uri} at {where}: {exc.message}"
        raise StorageError(message, exc.hint) from None
    except HeadraceError:  # already says what is wrong (a StorageError, a bad path)
        raise
    except Exception as exc:
        scheme: Scheme = scheme_of(uri)
        where = "the local filesystem"
        fix = "check that the path is writable"
        if scheme != "file":
            where = describe_endpoint(settings.endpoint(scheme), scheme)
            setting = "gcs" if scheme == "gs" else scheme
            fix = (
                f"check that {where} is reachable and that [{setting}] endpoint_url, use_tls "
                "and the credentials are right"
            )
            if is_certificate_error(exc):
                fix = ca_bundle_fix(where, setting)
        raise StorageError(
            f"could not {action} {uri} at {where}: {type(exc).__name__}: {exc}", fix
        ) from exc


def describe_endpoint(endpoint: ObjectStoreSettings, scheme: Scheme) -> str:
    """The endpoint in words, with the scheme it is reached by (`use_tls` decides it when
    `endpoint_url` has none)."""
    return _endpoint_url(endpoint) or endpoint.describe(scheme)


def is_certificate_error(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, is a failed TLS certificate check."""
    seen: BaseException | None = exc
    for _ in range(10):  # botocore and aiohttp wrap the ssl error a few layers deep
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def ca_bundle_fix(where: str, setting: str) -> str:
    return (
        f"{where} presents a certificate this machine does not trust: set [{setting}] "
        f"ca_bundle (HEADRACE_{setting.upper()}_CA_BUNDLE) to the PEM file of the CA that "
        "signed it"
    )


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
            if scheme_of(uri) == "file":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            fs.put_file(str(local), path)


def write_bytes(uri: str, data: bytes, settings: StorageSettings) -> None:
    """Write `data` as the whole object (or file) at `uri`, replacing what was there."""
    with storage_errors("upload to", uri, settings):
        fs, path = filesystem_for(uri, settings)
        if scheme_of(uri) == "file":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        fs.pipe_file(path, data)


_READ_TRIES = 3


def read_bytes(uri: str, settings: StorageSettings, start: int = 0) -> bytes | None:
    """The bytes of the object at `uri` from offset `start`; None when it does not exist."""
    with storage_errors("read", uri, settings):
        fs, path = filesystem_for(uri, settings)
        tries = 0
        while True:
            try:
                with fs.open(path, "rb") as f:
                    f.seek(start)
                    data: bytes = f.read()
                    return data
            except FileNotFoundError:
                return None
            except OSError as exc:
                # s3fs: the object was replaced between opening and reading (a running
                # attempt's log is rewritten at every flush); read the new one.
                tries += 1
                if exc.errno != errno.EBUSY or tries >= _READ_TRIES:
                    raise


def exists(uri: str, settings: StorageSettings) -> bool:
    """Whether a file or a directory exists at `uri`."""
    with storage_errors("look up", uri, settings):
        fs, path = filesystem_for(uri, settings)
        return bool(fs.exists(path))
