"""Namespaces: the list (for the UI's picker), and each one's storage settings: GET, PUT
(replace) and DELETE (back to the global settings)."""

from __future__ import annotations

from fastapi import APIRouter

from headrace.api._context import Context
from headrace.api.schemas.common import Empty
from headrace.api.schemas.namespaces import (
    NamespaceList,
    NamespaceStorage,
    NamespaceStorageOverride,
)
from headrace.service.namespaces import storage_view
from headrace.store.records import DEFAULT_NAMESPACE

router = APIRouter(tags=["NamespaceService"])


def _view(context: Context, namespace: str) -> NamespaceStorage:
    service = context.namespaces
    override = service.get_override(namespace)
    storage = service.storage_settings_for(namespace)
    return NamespaceStorage.model_validate(storage_view(namespace, override, storage))


@router.get("/namespaces", response_model=NamespaceList)
def list_namespaces(context: Context) -> NamespaceList:
    """Every namespace a run, experiment, pipeline or setting was created in, and `default`."""
    names = set(context.store.list_namespaces()) | {DEFAULT_NAMESPACE}
    return NamespaceList(namespaces=sorted(names))


@router.get(
    "/namespaces/{namespace}/storage",
    response_model=NamespaceStorage,
    response_model_exclude_none=True,
)
def get_namespace_storage(context: Context, namespace: str) -> NamespaceStorage:
    """The namespace's override and the storage settings its runs use."""
    return _view(context, namespace)


@router.put(
    "/namespaces/{namespace}/storage",
    response_model=NamespaceStorage,
    response_model_exclude_none=True,
)
def set_namespace_storage(
    context: Context, namespace: str, body: NamespaceStorageOverride
) -> NamespaceStorage:
    """Replace the namespace's override; 400 naming the field when one is malformed."""
    context.namespaces.set_override(namespace, body.model_dump(exclude_none=True))
    return _view(context, namespace)


@router.delete("/namespaces/{namespace}/storage", response_model=Empty)
def delete_namespace_storage(context: Context, namespace: str) -> Empty:
    """Drop the override: the namespace uses the global settings again."""
    context.namespaces.clear_override(namespace)
    return Empty()
