"""Bring a database to the newest schema, safely when several processes connect at once."""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from headrace.store._engine import SQLITE_BEGIN_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "headrace_alembic_version"
_LOCK_NAME = "headrace_migrate"
_PG_LOCK_KEY = zlib.crc32(_LOCK_NAME.encode())
_MYSQL_LOCK_TIMEOUT_S = 600


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(None|\"[^\"]*\"|'[^']*')\s*$", re.M)


def alembic_config() -> Config:
    """An Alembic config built in code: the scripts ship inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("headrace.store") / "migrations"))
    return config


def upgrade(engine: Engine) -> None:
    """Migrate to head; a no-op when already there."""
    if _at_head(engine):
        return
    from alembic import command

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


def _at_head(engine: Engine) -> bool:
    """Whether the database is already at the newest schema, read without Alembic.

    Importing Alembic and loading its scripts cost a CLI command more than its run often does,
    and a database is at head on every start but its first. False (so Alembic decides) when
    the history is anything but one line of revisions.
    """
    head = _head_revision()
    if head is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return False
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return [tuple(row) for row in rows] == [(head,)]


@functools.cache
def _head_revision() -> str | None:
    """The newest revision of the packaged scripts if they form one line, else None."""
    revisions: dict[str, str | None] = {}
    for script in (files("headrace.store") / "migrations" / "versions").iterdir():
        if not script.name.endswith(".py"):
            continue
        found = {m[1]: m[2] for m in _REVISION.finditer(script.read_text())}
        if "revision" not in found or "down_revision" not in found:
            return None
        down = found["down_revision"]
        revisions[found["revision"].strip("\"'")] = None if down == "None" else down.strip("\"'")
    downs = [d for d in revisions.values() if d is not None]
    heads = [r for r in revisions if r not in downs]
    if len(heads) != 1 or len(set(downs)) != len(downs) or len(downs) != len(revisions) - 1:
        return None
    return heads[0]


def schema_status(engine: Engine) -> str | None:
    """None when the database is at the newest schema, else what is wrong and what to run."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

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
