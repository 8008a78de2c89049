"""The engine's per-task writes: statements compiled once per database and run on its cursor.

SQLAlchemy's execution path (cache key, execution context, result object) costs 0.1-0.15 ms
per statement on a small machine, ten times what SQLite takes for a one-row write, and the
engine makes four or five such writes for every task it runs. These statements skip it:
SQLAlchemy compiles each one once per dialect (placeholders, casts, quoting), the column
types' own bind processors convert the values, and the driver's cursor runs it inside the
caller's transaction. Errors come back as SQLAlchemy's, as from `Connection.execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: tuple[Callable[[Any], Any] | None, ...]

    def params(self, row: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = [
            row[name] if proc is None else proc(row[name])
            for name, proc in zip(self.names, self.processors, strict=True)
        ]
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))


class DirectStatement:
    """One INSERT or UPDATE whose bind parameters all come from each row's values."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[tuple[Any, ...], _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        # By what shapes the SQL of a plain INSERT or UPDATE, not by engine (SQLAlchemy's own
        # cache is per engine): a Store opened per run would compile them again each time.
        key = (type(dialect), dialect.paramstyle, dialect.server_version_info)
        compiled = self._compiled.get(key)
        if compiled is None:
            c: Any = self._statement.compile(dialect=dialect)
            names = tuple(c.positiontup if c.positional else c.binds)
            processors = tuple(
                c.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
            )
            compiled = _Compiled(c.string, names, bool(c.positional), processors)
            # Racing threads may both compile it: either result does.
            self._compiled[key] = compiled
        return compiled

    def execute(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run the statement once per row in the session's transaction; rows matched in all."""
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._compile(dialect)
        params: Any = [compiled.params(row) for row in rows]
        cursor = connection.connection.cursor()
        try:
            if len(params) == 1:
                cursor.execute(compiled.sql, params[0])
            else:
                cursor.executemany(compiled.sql, params)
            return int(cursor.rowcount)
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                compiled.sql, params, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        finally:
            cursor.close()
