"""`headrace doctor` and `config show` with a credentials file, and against a TLS endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.storage.tls import ServerCertificate

from .conftest import ACCESS_KEY, SECRET_KEY, write_config


@pytest.fixture
def cli(home: Path) -> Cli:
    return Cli(home)


def _credentials(tmp_path: Path) -> Path:
    path = tmp_path / "credentials"
    path.write_text(
        f"[team-a]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    return path


def _no_ambient(tmp_path: Path) -> dict[str, str]:
    return {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "absent"),
        "AWS_CONFIG_FILE": str(tmp_path / "absent"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
    }


def _minio(bucket: str, endpoint: str, **more: str) -> dict[str, str]:
    return {
        "HEADRACE_EXECUTOR": "local",
        "HEADRACE_PIPELINE_ROOT": f"minio://{bucket}/root",
        "HEADRACE_MINIO_ENDPOINT_URL": endpoint,
        "HEADRACE_MINIO_REGION": "us-east-1",
        "HEADRACE_MINIO_TIMEOUT_SECONDS": "5",
        "HEADRACE_MINIO_MAX_RETRIES": "0",
        **more,
    }


def test_doctor_passes_with_keys_from_a_credentials_file(
    cli: Cli, tmp_path: Path, bucket: str, s3_endpoint: str
) -> None:
    path = _credentials(tmp_path)
    env = _minio(
        bucket,
        s3_endpoint,
        HEADRACE_MINIO_CREDENTIALS_FILE=str(path),
        HEADRACE_MINIO_PROFILE="team-a",
        **_no_ambient(tmp_path),
    )
    result = cli("doctor", **env)
    assert result.returncode == 0, result.stdout
    assert f"PASS storage minio://{bucket}/root" in result.stdout

    shown = cli("config", "show", **env)
    assert shown.returncode == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if "minio.credentials_file" in line)
    assert str(path) in shown.stdout.replace("\n", "") and "HEADRACE_MINIO_CREDENTIALS_FILE" in row
    assert SECRET_KEY not in shown.stdout


def test_doctor_names_the_file_and_a_missing_profile(
    cli: Cli, tmp_path: Path, bucket: str, s3_endpoint: str
) -> None:
    path = _credentials(tmp_path)
    result = cli(
        "doctor",
        **_minio(
            bucket,
            s3_endpoint,
            HEADRACE_MINIO_CREDENTIALS_FILE=str(path),
            HEADRACE_MINIO_PROFILE="team-b",
        ),
    )
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert (
        f"FAIL storage minio://{bucket}/root: at {s3_endpoint}: credentials file {path} "
        "(profile 'team-b'): the file has no profile 'team-b' (profiles: 'team-a')"
    ) in out
    assert "fix: set profile to one of the file's sections" in out
    assert "Traceback" not in result.stdout + result.stderr


def test_a_named_secret_may_point_at_a_credentials_file(
    cli: Cli, home: Path, tmp_path: Path
) -> None:
    path = _credentials(tmp_path)
    write_config(home, f'[secrets.team-a]\ncredentials_file = "{path}"\nprofile = "team-a"\n')
    shown = cli("config", "show", "--output", "json")
    assert shown.returncode == 0, shown.stderr
    assert str(path) in shown.stdout and SECRET_KEY not in shown.stdout

    write_config(home, f'[secrets.team-a]\ncredentials_file = "{path}"\naccess_key_id = "k"\n')
    bad = cli("config", "show")
    assert bad.returncode == 2
    assert "secrets.team-a" in bad.stderr and "either access_key_id" in bad.stderr


def test_doctor_passes_against_tls_with_the_private_ca(
    cli: Cli, bucket: str, s3_tls_endpoint: str, server_certificate: ServerCertificate
) -> None:
    result = cli(
        "doctor",
        **_minio(
            bucket,
            s3_tls_endpoint,
            HEADRACE_MINIO_CA_BUNDLE=str(server_certificate.ca_pem),
            HEADRACE_MINIO_ACCESS_KEY_ID=ACCESS_KEY,
            HEADRACE_MINIO_SECRET_ACCESS_KEY=SECRET_KEY,
        ),
    )
    assert result.returncode == 0, result.stdout
    assert f"PASS storage minio://{bucket}/root: write, read and delete at {s3_tls_endpoint}" in (
        result.stdout
    )


def test_doctor_without_the_ca_names_the_certificate_error_and_ca_bundle(
    cli: Cli, bucket: str, s3_tls_endpoint: str
) -> None:
    result = cli(
        "doctor",
        **_minio(
            bucket,
            s3_tls_endpoint,
            HEADRACE_MINIO_ACCESS_KEY_ID=ACCESS_KEY,
            HEADRACE_MINIO_SECRET_ACCESS_KEY=SECRET_KEY,
        ),
    )
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert f"FAIL storage minio://{bucket}/root: write/read/delete at {s3_tls_endpoint}" in out
    assert "CERTIFICATE_VERIFY_FAILED" in out
    assert "set [minio] ca_bundle (HEADRACE_MINIO_CA_BUNDLE)" in out


def test_doctor_with_tls_off_against_a_tls_server_fails(
    cli: Cli, bucket: str, s3_tls_endpoint: str, server_certificate: ServerCertificate
) -> None:
    host_port = s3_tls_endpoint.removeprefix("https://")
    result = cli(
        "doctor",
        **_minio(
            bucket,
            host_port,
            HEADRACE_MINIO_USE_TLS="false",
            HEADRACE_MINIO_CA_BUNDLE=str(server_certificate.ca_pem),
            HEADRACE_MINIO_ACCESS_KEY_ID=ACCESS_KEY,
            HEADRACE_MINIO_SECRET_ACCESS_KEY=SECRET_KEY,
        ),
    )
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert f"FAIL storage minio://{bucket}/root: write/read/delete at http://{host_port}" in out
    assert "use_tls" in out
