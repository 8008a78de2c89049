"""Namespace settings over a real Store on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from tests.store.conftest import db_url, namespace, store

__all__ = ["db_url", "namespace", "store"]
