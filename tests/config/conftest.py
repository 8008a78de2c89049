"""Settings tests: a home of their own, and the S3-protocol server of tests/storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.storage.conftest import (
    ACCESS_KEY,
    SECRET_KEY,
    bucket,
    s3_endpoint,
    s3_tls_endpoint,
    server_certificate,
)

__all__ = [
    "ACCESS_KEY",
    "SECRET_KEY",
    "bucket",
    "s3_endpoint",
    "s3_tls_endpoint",
    "server_certificate",
]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def write_config(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text)
    return path
