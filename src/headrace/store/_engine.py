"""Engines for SQLite, PostgreSQL and MySQL/MariaDB, each tuned for many short transactions."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool, StaticPool

from headrace.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# An execution option read by the SQLite "begin" hook: writers take the write lock up front so
# that a concurrent writer waits on busy_timeout instead of failing to upgrade a read lock.
SQLITE_BEGIN_OPTION = "headrace_sqlite_begin"
SUPPORTED = ("sqlite", "postgresql", "mysql", "mariadb")


def parse_url(url: str) -> URL:
    """Parse a database URL or say which forms are accepted."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"database URL {url!r} cannot be parsed",
            "use sqlite:///path/headrace.db, postgresql+psycopg://user@host/db "
            "or mysql+pymysql://user@host/db",
        ) from exc
    if parsed.get_backend_name() not in SUPPORTED:
        raise ConfigError(
            f"database URL {safe_url(parsed)!r} uses {parsed.get_backend_name()!r}",
            "Headrace supports sqlite, postgresql and mysql/mariadb",
        )
    return parsed


def safe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def make_engine(url: URL) -> Engine:
    """Create the engine for `url`; for a SQLite file, create its directory too."""
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.get_backend_name() in ("mysql", "mariadb"):
            # Fewer gap locks (and deadlocks) between concurrent writers than REPEATABLE READ.
            options["isolation_level"] = "READ COMMITTED"
        return create_engine(url, **options)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigError(
            f"no database driver for {safe_url(url)!r}: {exc}",
            "install psycopg[binary] for postgresql+psycopg or PyMySQL for mysql+pymysql",
        ) from exc


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if _is_memory(database):
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def unpooled_sqlite(engine: Engine) -> Engine | None:
    """For a SQLite file, an engine with the same settings whose connections bypass the pool.

    For connections a thread keeps for a long time (the engine's, for a run): held from the
    pool, many concurrent runs would take every pooled connection. None for anything else.
    """
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or _is_memory(database):
        return None
    unpooled = create_engine(engine.url, poolclass=NullPool)
    event.listen(unpooled, "connect", _sqlite_on_connect)
    event.listen(unpooled, "begin", _sqlite_on_begin)
    return unpooled


def _is_memory(database: str) -> bool:
    return database in ("", ":memory:") or database.startswith("file::memory:")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module, which does not BEGIN before DDL
    # or SELECT; _sqlite_on_begin emits BEGIN instead (the SQLAlchemy-documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL; SQLite may answer "locked" at once (no busy wait) while several new
    connections race to switch a fresh database, so try again for a few seconds."""
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)


def _sqlite_on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
    # On the driver's cursor: through `exec_driver_sql` this BEGIN cost as much as a commit.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"BEGIN {mode}")
    except sqlite3.Error as exc:
        raise DBAPIError.instance(f"BEGIN {mode}", (), exc, sqlite3.Error) from exc
    finally:
        cursor.close()
