"""SQL storage of Headrace's state: the only layer that writes SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headrace.store._migrate import upgrade
    from headrace.store._store import Store

__all__ = ["Store", "upgrade"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing `headrace.store.records` does not load SQLAlchemy and Alembic.
    if name == "Store":
        from headrace.store._store import Store

        return Store
    if name == "upgrade":
        from headrace.store._migrate import upgrade

        return upgrade
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
