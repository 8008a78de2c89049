"""Namespaces' own artifact settings: one optional override row per namespace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from headrace.store import _common
from headrace.store._common import StoreBase, ensure_namespace, insert_if_absent, rowcount
from headrace.store._schema import NamespaceRow, NamespaceStorageRow
from headrace.store.records import NamespaceStorageRecord


class NamespacesMixin(StoreBase):
    def list_namespaces(self) -> list[str]:
        """Every namespace something was created in (a run, experiment, pipeline...), by name."""
        with self._read.begin() as s:
            return list(s.scalars(select(NamespaceRow.name).order_by(NamespaceRow.name)))

    def get_namespace_storage(self, namespace: str) -> NamespaceStorageRecord | None:
        """The namespace's override, or None when it uses the global settings."""
        with self._read.begin() as s:
            row = s.get(NamespaceStorageRow, namespace)
            return None if row is None else _record(row)

    def list_namespace_storage(self) -> list[NamespaceStorageRecord]:
        """Every namespace override, by namespace name."""
        stmt = select(NamespaceStorageRow).order_by(NamespaceStorageRow.namespace)
        with self._read.begin() as s:
            return [_record(row) for row in s.scalars(stmt)]

    def set_namespace_storage(
        self,
        namespace: str,
        *,
        pipeline_root: str | None,
        key_prefix: str | None,
        object_store: dict[str, Any],
    ) -> NamespaceStorageRecord:
        """Replace the namespace's override (creating the namespace if it is new)."""
        values: dict[str, Any] = {
            "pipeline_root": pipeline_root,
            "key_prefix": key_prefix,
            "object_store": object_store or None,
            "updated_at": _common.now(),
        }
        with self._writing() as s:
            ensure_namespace(s, namespace)
            row = s.get(NamespaceStorageRow, namespace)
            if row is None:
                row = NamespaceStorageRow(namespace=namespace, **values)
                if not insert_if_absent(s, row):  # a concurrent writer inserted it first
                    row = s.get(NamespaceStorageRow, namespace, populate_existing=True)
            if row is not None:
                for key, value in values.items():
                    setattr(row, key, value)
                s.flush()
                return _record(row)
        raise AssertionError("unreachable: the namespace_storage row exists after insert")

    def clear_namespace_storage(self, namespace: str) -> bool:
        """Drop the namespace's override; False when it had none."""
        stmt = delete(NamespaceStorageRow).where(NamespaceStorageRow.namespace == namespace)
        with self._writing() as s:
            return rowcount(s, stmt) > 0


def _record(row: NamespaceStorageRow) -> NamespaceStorageRecord:
    return NamespaceStorageRecord(
        namespace=row.namespace,
        pipeline_root=row.pipeline_root,
        key_prefix=row.key_prefix,
        object_store=dict(row.object_store or {}),
        updated_at=row.updated_at,
    )
