"""Column types that behave the same on SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

ID_LENGTH = 36
STATE_LENGTH = 16
NAME_LENGTH = 255
NAMESPACE_LENGTH = 128


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands back aware UTC; refuses naive datetimes (their zone is unknown)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            # MySQL drops fractional seconds unless asked for them.
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def json_type() -> JSON:
    """A JSON document column; SQL NULL (not JSON null) for None.

    `JSON` is LONGTEXT on MariaDB and native JSON on MySQL 8 and PostgreSQL, so multi-megabyte
    pipeline specs fit everywhere (MySQL's limit is max_allowed_packet).
    """
    return JSON(none_as_null=True)


def id_type() -> String:
    return String(ID_LENGTH)


def state_type() -> String:
    return String(STATE_LENGTH)


# Tables on MySQL/MariaDB: utf8mb4 for full unicode, binary collation so that uniqueness and
# comparisons are case-sensitive exactly as on SQLite and PostgreSQL.
MYSQL_TABLE_ARGS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
