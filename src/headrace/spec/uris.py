"""The local path that kfp's `Artifact.path` gives for an artifact URI."""

from __future__ import annotations

# The same mount points kfp's Artifact.path and Kubeflow's launcher use.
_MOUNTS = (("gs://", "/gcs/"), ("minio://", "/minio/"), ("s3://", "/s3/"))


def local_path_for_uri(uri: str) -> str:
    """Map a `gs://`, `minio://`, `s3://`, `oci://` or `file://` URI to its local path.

    Anything else (an absolute path, an unknown scheme) is returned as is, as kfp does.
    """
    for prefix, mount in _MOUNTS:
        if uri.startswith(prefix):
            return mount + uri[len(prefix) :]
    if uri.startswith("oci://"):
        return "/oci/" + uri[len("oci://") :].replace("/", "_")
    if uri.startswith("file://"):
        return uri[len("file://") :]
    return uri
