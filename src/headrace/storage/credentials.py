"""Keys from an AWS-style shared credentials file, read when a filesystem is built.

Headrace reads the file itself rather than pointing botocore at it: botocore skips a missing
file silently and falls back to the environment, so a typo in the path would run tasks with
whatever keys the process happened to have. Here a missing file, an absent profile or a
profile without keys is an error that names the file and the profile.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from headrace.errors import StorageError

DEFAULT_PROFILE = "default"


class CredentialsFileError(StorageError):
    """The credentials file cannot be used; raised before any request is made."""


@dataclass(frozen=True)
class FileCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"FileCredentials(access_key_id={self.access_key_id!r}, secret_access_key='***')"


def read_credentials_file(path: str, profile: str | None) -> FileCredentials:
    """The keys of `profile` (default: `default`) in the shared credentials file at `path`."""
    name = profile or DEFAULT_PROFILE
    where = f"credentials file {path} (profile {name!r})"
    fix = "point credentials_file at a readable AWS-style credentials file"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
        parser.read_string(text, source=path)
    except OSError as exc:
        raise CredentialsFileError(f"cannot read {where}: {exc.strerror or exc}", fix) from None
    except configparser.Error as exc:
        reason = str(exc).splitlines()[0]
        raise CredentialsFileError(f"{where} is not an INI file: {reason}", fix) from None
    if not parser.has_section(name):
        known = ", ".join(repr(s) for s in parser.sections()) or "none"
        raise CredentialsFileError(
            f"{where}: the file has no profile {name!r} (profiles: {known})",
            "set profile to one of the file's sections",
        )
    section = parser[name]
    key = section.get("aws_access_key_id", "").strip()
    secret = section.get("aws_secret_access_key", "").strip()
    if not key or not secret:
        raise CredentialsFileError(
            f"{where}: the profile lacks aws_access_key_id or aws_secret_access_key",
            "give the profile both keys",
        )
    token = section.get("aws_session_token", "").strip() or None
    return FileCredentials(key, secret, token)
