"""Bring a database to the newest schema, safely when several processes connect at once."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from headrace.store._engine import SQLITE_BEGIN_OPTION

VERSION_TABLE = "headrace_alembic_version"
_LOCK_NAME = "headrace_migrate"
_PG_LOCK_KEY = zlib.crc32(_LOCK_NAME.encode())
_MYSQL_LOCK_TIMEOUT_S = 600


def alembic_config() -> Config:
    """An Alembic config built in code: the scripts ship inside the package."""
    config = Config()
    config.set_main_option("script_location", str(files("headrace.store") / "migrations"))
    return config


def upgrade(engine: Engine) -> None:
    """Migrate to head; a no-op when already there."""
    config = alembic_config()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # BEGIN IMMEDIATE serializes migrators; SQLite DDL is transactional.
            conn = conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with _migration_lock(conn):
            config.attributes["connection"] = conn
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    # Held until commit; PostgreSQL DDL is transactional too.
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                command.upgrade(config, "head")


def schema_status(engine: Engine) -> str | None:
    """None when the database is at the newest schema, else what is wrong and what to run."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        current = context.get_current_revision()
    if current == head:
        return None
    if current is None:
        return f"database has no Headrace schema, Headrace needs {head}: run `headrace db upgrade`"
    known = {revision.revision for revision in script.walk_revisions()}
    if current not in known:
        return (
            f"database at revision {current}, which this Headrace does not know (it needs "
            f"{head}): the database was migrated by a newer Headrace, upgrade Headrace"
        )
    return f"database at revision {current}, Headrace needs {head}: run `headrace db upgrade`"


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    """On MySQL/MariaDB (no transactional DDL) hold a named session lock around the upgrade."""
    if conn.dialect.name not in ("mysql", "mariadb"):
        yield
        return
    got = conn.execute(
        text("SELECT GET_LOCK(:name, :timeout)"),
        {"name": _LOCK_NAME, "timeout": _MYSQL_LOCK_TIMEOUT_S},
    ).scalar()
    conn.commit()
    if got != 1:
        raise TimeoutError(f"another process held {_LOCK_NAME!r} for {_MYSQL_LOCK_TIMEOUT_S}s")
    try:
        yield
    finally:
        conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _LOCK_NAME})
        conn.commit()
