"""A real S3-protocol server (moto in server mode) on 127.0.0.1, and settings that reach it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from headrace.storage.settings import ObjectStoreSettings, StorageSettings

ACCESS_KEY = "headrace-test"
SECRET_KEY = "headrace-test-secret"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of an S3-protocol server listening on 127.0.0.1 only."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def endpoint_settings(url: str, **overrides: object) -> ObjectStoreSettings:
    """A custom endpoint with path-style addressing, no TLS and static credentials."""
    base = ObjectStoreSettings(
        endpoint_url=url,
        region="us-east-1",
        path_style=True,
        use_tls=False,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        timeout_seconds=5.0,
        max_retries=2,
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A fresh bucket for one test."""
    name = f"hr-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def storage(s3_endpoint: str, bucket: str) -> StorageSettings:
    """Both `s3://` and `minio://` reach the test server; the root is the test's bucket."""
    endpoint = endpoint_settings(s3_endpoint)
    return StorageSettings(pipeline_root=f"s3://{bucket}/root", s3=endpoint, minio=endpoint)
