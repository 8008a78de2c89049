"""Bytes in and out of object stores through the one filesystem factory."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from headrace.errors import StorageError
from headrace.storage.filesystems import download, exists, filesystem_for, read_bytes, upload
from headrace.storage.settings import StorageSettings

from .conftest import endpoint_settings


def test_the_test_server_listens_on_loopback_only(s3_endpoint: str) -> None:
    port = urlparse(s3_endpoint).port
    if shutil.which("ss") is None:
        pytest.skip("no ss on this machine")
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True)
    local = [line.split()[3] for line in listening.stdout.splitlines() if line.split()]
    ours = [address for address in local if address.endswith(f":{port}")]
    assert ours == [f"127.0.0.1:{port}"]


def test_a_directory_round_trips_with_its_relative_paths(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    source = tmp_path / "model"
    (source / "weights").mkdir(parents=True)
    (source / "config.json").write_text("{}")
    (source / "weights" / "layer-0.bin").write_bytes(b"\x00\x01")
    uri = f"s3://{bucket}/a/model"
    upload(source, uri, storage)
    assert exists(uri, storage)
    target = tmp_path / "staged" / "model"
    download(uri, target, storage)
    assert (target / "config.json").read_text() == "{}"
    assert (target / "weights" / "layer-0.bin").read_bytes() == b"\x00\x01"


def test_minio_uris_use_the_minio_endpoint_with_path_style(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    file = tmp_path / "data.csv"
    file.write_text("a,b\n1,2\n")
    upload(file, f"minio://{bucket}/data.csv", storage)
    # The same bucket seen through s3:// — one server behind both endpoints in this test.
    assert read_bytes(f"s3://{bucket}/data.csv", storage) == b"a,b\n1,2\n"
    assert read_bytes(f"minio://{bucket}/data.csv", storage, start=4) == b"1,2\n"
    assert read_bytes(f"minio://{bucket}/missing", storage) is None


def test_local_paths_and_file_uris_use_the_local_filesystem(tmp_path: Path) -> None:
    settings = StorageSettings(pipeline_root=str(tmp_path))
    fs, path = filesystem_for(f"file://{tmp_path}/x", settings)
    assert fs.protocol[0] == "file" and path == f"{tmp_path}/x"
    source = tmp_path / "src.txt"
    source.write_text("hello")
    upload(source, f"{tmp_path}/deep/er/copy.txt", settings)
    assert (tmp_path / "deep" / "er" / "copy.txt").read_text() == "hello"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_endpoint_is_named_in_the_error(tmp_path: Path, bucket: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = StorageSettings(
        pipeline_root=f"s3://{bucket}",
        s3=endpoint_settings(url, timeout_seconds=1.0, max_retries=1),
    )
    file = tmp_path / "f.txt"
    file.write_text("x")
    with pytest.raises(StorageError) as caught:
        upload(file, f"s3://{bucket}/f.txt", settings)
    assert url in str(caught.value) and f"s3://{bucket}/f.txt" in str(caught.value)


def test_wrong_credentials_are_reported_with_the_endpoint(
    tmp_path: Path, storage: StorageSettings, bucket: str
) -> None:
    # moto accepts any key, so point at a bucket the server does not have to get an error.
    wrong = dataclasses.replace(storage, s3=dataclasses.replace(storage.s3, max_retries=1))
    with pytest.raises(StorageError) as caught:
        download(f"s3://no-such-{bucket}/x", tmp_path / "x", wrong)
    assert str(storage.s3.endpoint_url) in str(caught.value)
