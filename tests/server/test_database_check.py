"""The server refuses a database that is behind and says which command migrates it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.conftest import POSTGRES_URL, _server_database

HEADRACE = str(Path(sys.executable).parent / "headrace")


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    yield from _server_database("postgresql", POSTGRES_URL)


def _headrace(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
    env["HEADRACE_HOME"] = str(home)
    return subprocess.run(
        [HEADRACE, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_server_refuses_an_unmigrated_database_until_db_upgrade(
    empty_postgres: str, tmp_path: Path
) -> None:
    refused = _headrace("server", "--port", "1", "--database-url", empty_postgres, home=tmp_path)
    assert refused.returncode == 2
    assert "headrace db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr

    upgraded = _headrace("db", "upgrade", "--database-url", empty_postgres, home=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    again = _headrace("db", "upgrade", "--database-url", empty_postgres, home=tmp_path)
    assert again.returncode == 0, again.stderr
