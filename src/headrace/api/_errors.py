"""Errors as Kubeflow's grpc-gateway writes them, and the request body size limit."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headrace.errors import ConflictError, HeadraceError, NotFoundError

log = logging.getLogger(__name__)

# gRPC codes (google.rpc.Code) for each HTTP status we answer with.
_GRPC_CODES = {400: 3, 404: 5, 409: 6, 413: 8, 405: 12, 416: 11, 500: 13}
_STATUS = {NotFoundError: 404, ConflictError: 409}


def error_response(status: int, message: str) -> JSONResponse:
    code = _GRPC_CODES.get(status, 2)
    body = {"error": message, "code": code, "message": message, "details": []}
    return JSONResponse(body, status_code=status)


def status_of(exc: HeadraceError) -> int:
    """404, 409 or 501 where the error says so; any other HeadraceError is the caller's: 400."""
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HeadraceError)
    async def headrace_error(request: Request, exc: HeadraceError) -> JSONResponse:
        return error_response(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, describe_validation(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal error: {type(exc).__name__}")


def describe_validation(errors: Any) -> str:
    """One line per problem, each naming the field as a dotted path (`runtime_config.x`)."""
    lines = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        where = loc[0] if loc else ""
        path = ".".join(loc[1:]) if where in ("body", "query", "path", "form") else ".".join(loc)
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            lines.append(f"unknown field {path!r}")
        elif kind == "json_invalid":
            lines.append(f"the request body is not valid JSON: {error.get('msg', '')}")
        elif kind == "missing":
            lines.append(f"missing {where} field {path!r}" if path else f"missing {where}")
        else:
            shown = path or where or "request"
            lines.append(f"invalid {shown!r}: {error.get('msg', '')}")
    return "; ".join(lines) or "invalid request"


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, before a route reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge(413, f"request body is larger than {self.limit} bytes")
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"request body is larger than {self.limit} bytes"
        response = error_response(413, message)
        await response(scope, receive, send)


class _TooLarge(HTTPException):
    """Raised while a route reads the body; an HTTPException so that FastAPI passes it on."""
