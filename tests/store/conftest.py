"""Real databases for store tests: SQLite in tmp, and a fresh database per module on the
machine's PostgreSQL and MariaDB (override the servers with HEADRACE_TEST_POSTGRES_URL and
HEADRACE_TEST_MYSQL_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from headrace.store import Store
from headrace.store.records import NewRun, RunRecord

POSTGRES_URL = os.environ.get(
    "HEADRACE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("HEADRACE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")

HOW_TO_START = {
    "postgresql": (
        "start PostgreSQL with trust auth for user postgres on 127.0.0.1:5432, e.g. "
        "`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`, "
        "or point HEADRACE_TEST_POSTGRES_URL at a server where you may CREATE DATABASE"
    ),
    "mariadb": (
        "start MariaDB with a password-less root on 127.0.0.1:3306, e.g. "
        "`docker run -d -p 3306:3306 -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 mariadb:11`, "
        "or point HEADRACE_TEST_MYSQL_URL at a server where you may CREATE DATABASE"
    ),
}

BACKENDS = ["sqlite", "postgresql", "mariadb"]


def _server_database(kind: str, server_url: str) -> Iterator[str]:
    """Create a uniquely named database on the server, yield its URL, then drop it."""
    name = f"hr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except Exception as exc:
        admin.dispose()
        pytest.fail(
            f"{kind} is not reachable at {_hidden(server_url)}: {exc}\nTo run these tests, "
            f"{HOW_TO_START[kind]}",
            pytrace=False,
        )
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def _empty_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store')}/headrace.db"
    elif kind == "postgresql":
        yield from _server_database(kind, POSTGRES_URL)
    else:
        yield from _server_database(kind, MYSQL_URL)


@pytest.fixture(scope="module", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database shared by this test module's tests, on each backend."""
    yield from _empty_database(request.param, tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def empty_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database of this test's own, on each backend."""
    yield from _empty_database(request.param, tmp_path_factory)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.connect(db_url) as opened:
        yield opened


@pytest.fixture
def namespace() -> str:
    """A namespace of this test's own, so tests sharing a module database do not see each other."""
    return f"ns-{uuid.uuid4().hex[:8]}"


class RunFactory(Protocol):
    def __call__(self, pipeline_name: str = ..., **fields: Any) -> RunRecord: ...


@pytest.fixture
def make_run(store: Store, namespace: str) -> RunFactory:
    """Create a run in this test's namespace; keyword arguments override NewRun fields."""

    def make(pipeline_name: str = "hello-pipeline", **fields: Any) -> RunRecord:
        values: dict[str, Any] = {
            "pipeline_name": pipeline_name,
            "display_name": "a run",
            "pipeline_spec": {"pipelineInfo": {"name": pipeline_name}},
            "pipeline_root": "file:///tmp/root",
            "namespace": namespace,
            **fields,
        }
        return store.create_run(NewRun(**values))

    return make


def _hidden(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
