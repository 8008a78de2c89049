"""What every part of the Store shares: its sessions, ids, clock and small SQL helpers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Update, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from headrace.errors import NotFoundError
from headrace.store._engine import SQLITE_BEGIN_OPTION, unpooled_sqlite
from headrace.store._schema import NamespaceRow


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class StoreBase:
    """The engine and the two session factories that the Store's parts share.

    Reads run in deferred transactions; writes, on SQLite, take the write lock at BEGIN
    (IMMEDIATE), so a read-then-write transaction is serialized against every other writer.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        writer = engine
        if engine.dialect.name == "sqlite":
            writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._write = sessionmaker(writer, expire_on_commit=False)
        self._local = threading.local()
        unpooled = unpooled_sqlite(engine)
        self._kept_writer = unpooled and unpooled.execution_options(
            **{SQLITE_BEGIN_OPTION: "IMMEDIATE"}
        )

    @contextmanager
    def keep_connection(self) -> Iterator[None]:
        """Let this thread's batches reuse one connection and session until the block ends.

        The engine keeps one for a run: checking a connection out of the pool and setting up a
        session for every turn cost about 0.2 ms, as much as the turn's statements. Only for a
        SQLite file, where a kept connection cannot be dropped by a server; elsewhere the pool
        (which checks a connection before handing it out) serves each batch as before.
        """
        if self._kept_writer is None or getattr(self._local, "kept", None) is not None:
            yield
            return
        with self._kept_writer.connect() as connection:
            session = Session(bind=connection, expire_on_commit=False)
            self._local.kept = session
            try:
                yield
            finally:
                self._local.kept = None
                session.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group this thread's writes into one transaction, committed when the block ends.

        The engine wraps each turn of its loop in a batch: one commit instead of one per state
        change. Nothing in the block is visible to other connections before the commit, and an
        exception rolls all of it back.
        """
        if getattr(self._local, "session", None) is not None:
            yield  # already inside a batch: the outer one commits
            return
        kept: Session | None = getattr(self._local, "kept", None)
        with self._write() if kept is None else nullcontext(kept) as s, s.begin():
            self._local.session = s
            try:
                yield
            finally:
                self._local.session = None

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A write transaction: this thread's batch if one is open, else a new one."""
        current: Session | None = getattr(self._local, "session", None)
        if current is not None:
            yield current
            return
        with self._write.begin() as s:
            yield s

    @property
    def dialect(self) -> str:
        """sqlite, postgresql, mysql or mariadb."""
        return self._engine.dialect.name


def update_one(s: Session, stmt: Update, what: str, id_: str) -> None:
    """Run an UPDATE of one row by id, or say that the row does not exist."""
    if rowcount(s, stmt) == 0:
        raise NotFoundError(f"{what} {id_!r} not found")


def rowcount(s: Session, stmt: Any) -> int:
    """Run an UPDATE or DELETE and say how many rows it matched."""
    result = cast(CursorResult[Any], s.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount


def require(s: Session, column: Any, value: str, what: str) -> None:
    if s.scalar(select(column).where(column == value)) is None:
        raise NotFoundError(f"{what} {value!r} not found")


def insert_if_absent(s: Session, row: object) -> bool:
    """Insert `row` unless a concurrent writer (or an earlier one) inserted the same key first."""
    try:
        with s.begin_nested():
            s.add(row)
        return True
    except IntegrityError:
        return False


def ensure_namespace(s: Session, name: str) -> None:
    if s.get(NamespaceRow, name) is None:
        insert_if_absent(s, NamespaceRow(name=name, created_at=now()))


def insert_unique(s: Session, row: object, conflict: Exception) -> None:
    """Insert `row`, raising `conflict` if a unique key of it is taken."""
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError as exc:
        raise conflict from exc
