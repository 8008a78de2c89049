"""Serve the single-page app at `/`: assets under /static, index.html for every page URL."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from headrace.errors import NotFoundError

STATIC_DIR = Path(__file__).parent / "static"
# Paths the app owns; anything else is a page of the UI (the client-side router draws it).
_NOT_PAGES = ("apis/", "static/", "openapi.json", "docs", "redoc")


class _Assets(StaticFiles):
    """The app's files, revalidated on every use (a 304 when unchanged), so that a browser never
    runs the JavaScript of an older Headrace after an upgrade."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_ui(app: FastAPI) -> None:
    """Add the UI to `app`; call after the API's routes so that they match first."""
    app.mount("/static", _Assets(directory=STATIC_DIR), name="ui-static")
    index = STATIC_DIR / "index.html"

    @app.get("/{page:path}", include_in_schema=False)
    def page(page: str) -> FileResponse:
        # Page URLs are shareable: /runs/<id> loads the app, which then draws that run.
        if page.startswith(_NOT_PAGES):
            raise NotFoundError(f"no such path /{page}")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
