"""Local paths for artifact URIs, as kfp's Artifact.path computes them."""

import pytest
from kfp import dsl

from headrace.spec.uris import local_path_for_uri


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("gs://bucket/a/b", "/gcs/bucket/a/b"),
        ("minio://bucket/a", "/minio/bucket/a"),
        ("s3://bucket/a", "/s3/bucket/a"),
        ("file:///tmp/root/a", "/tmp/root/a"),
        ("/tmp/root/a", "/tmp/root/a"),
        ("oci://registry/model", "/oci/registry_model"),
    ],
)
def test_uri_maps_to_local_path(uri: str, path: str) -> None:
    assert local_path_for_uri(uri) == path


@pytest.mark.parametrize("uri", ["gs://b/x", "minio://b/x", "s3://b/x", "/abs/x"])
def test_same_path_as_kfp_artifact(uri: str) -> None:
    assert local_path_for_uri(uri) == dsl.Artifact(uri=uri).path
