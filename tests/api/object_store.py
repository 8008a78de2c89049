"""Settings whose pipeline root is a fresh bucket on an object-store server of tests/storage."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3

from headrace.config import Settings
from tests.storage.conftest import ACCESS_KEY, SECRET_KEY, new_gcs_bucket


def s3_settings(home: Path, endpoint_url: str, **extra: object) -> Settings:
    """A new bucket on `endpoint_url`, and settings with `s3://<bucket>/root` as the root."""
    bucket = f"hr-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ).create_bucket(Bucket=bucket)
    endpoint = {
        "endpoint_url": endpoint_url,
        "region": "us-east-1",
        "path_style": True,
        "use_tls": False,
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
    }
    return Settings.model_validate(
        {"home": home, "pipeline_root": f"s3://{bucket}/root", "s3": endpoint, **extra}
    )


def gcs_settings(home: Path, endpoint_url: str) -> Settings:
    """A new bucket on the GCS emulator at `endpoint_url`, and settings with it as the root."""
    root = f"gs://{new_gcs_bucket(endpoint_url)}/root"
    endpoint = {"endpoint_url": endpoint_url, "use_tls": False}
    return Settings.model_validate({"home": home, "pipeline_root": root, "gcs": endpoint})
