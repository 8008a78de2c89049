"""Real object-store servers on 127.0.0.1: S3 (moto in server mode) and a GCS JSON-API
emulator, and settings that reach them."""

from __future__ import annotations

import dataclasses
import json
import ssl
import threading
import urllib.request
import uuid
from collections.abc import Iterator

import boto3
import pytest
from gcp_storage_emulator.server import create_server
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from headrace.storage.settings import ObjectStoreSettings, StorageSettings

from .tls import ServerCertificate, make_server_certificate

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


@pytest.fixture(scope="session")
def server_certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    """A private CA and the certificate it signed for 127.0.0.1 and localhost."""
    return make_server_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def s3_tls_endpoint(server_certificate: ServerCertificate) -> Iterator[str]:
    """The https URL of an S3-protocol server on 127.0.0.1 whose certificate the private CA
    signed. moto's threaded server takes no TLS options, so its app is served here by the
    same werkzeug server with an ssl context. It shares moto's in-process backend (buckets)
    with the plain-http server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_certificate.cert_pem, server_certificate.key_pem)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler, ssl_context=context
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


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


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """The URL of a GCS emulator listening on 127.0.0.1 only."""
    server = create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    # The emulator has no accessor for the port the system chose.
    host, port = server._api._httpd.server_address
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def new_gcs_bucket(endpoint_url: str) -> str:
    """A fresh bucket on the emulator, made through the JSON API."""
    name = f"hr-{uuid.uuid4().hex[:12]}"
    request = urllib.request.Request(
        f"{endpoint_url}/storage/v1/b?project=headrace-test",
        data=json.dumps({"name": name}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return name


@pytest.fixture
def gcs_storage(gcs_endpoint: str) -> StorageSettings:
    """A `gs://` root in a fresh bucket on the emulator (no credentials: it takes none)."""
    endpoint = ObjectStoreSettings(endpoint_url=gcs_endpoint, use_tls=False, timeout_seconds=10)
    root = f"gs://{new_gcs_bucket(gcs_endpoint)}/root"
    return StorageSettings(pipeline_root=root, gcs=endpoint)
