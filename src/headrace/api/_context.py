"""What every route needs: the store and the server's settings, put on the app at creation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from headrace.config import Settings
from headrace.service.namespaces import NamespaceSettings
from headrace.store import Store
from headrace.store.records import DEFAULT_NAMESPACE, ListQuery


@dataclass(frozen=True)
class ApiContext:
    store: Store
    home: Path
    pipeline_root: str
    version: str
    settings: Settings = field(default_factory=Settings)
    namespaces: NamespaceSettings = field(init=False)

    def __post_init__(self) -> None:
        # One cache per server: namespace lookups do not query the database every time.
        object.__setattr__(self, "namespaces", NamespaceSettings(self.store, self.settings))


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(_context)]


def namespace_of(given: str | None) -> str:
    """The namespace a request means: single-user clients send none or an empty one."""
    return given.strip() if given and given.strip() else DEFAULT_NAMESPACE


def page_query(
    namespace: str | None = None,
    page_token: str | None = None,
    page_size: int | None = None,
    sort_by: str | None = None,
    filter: str | None = None,
) -> ListQuery:
    """The list arguments every v2beta1 List call takes, as the store's ListQuery."""
    return ListQuery(
        namespace=namespace_of(namespace),
        page_size=page_size,
        page_token=page_token or None,
        sort_by=sort_by or "",
        filter=filter or None,
    )


PageQuery = Annotated[ListQuery, Depends(page_query)]
