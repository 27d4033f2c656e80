"""A shortcut past the framework for the few routes that run a thousand times a second.

FastAPI resolves dependencies, validates parameters and wraps every request in several layers of
middleware; for a datalogger posting telegrams that is a tenth of the server's time. A route
listed here is still declared to FastAPI (its OpenAPI entry, its 405s), but its endpoint, a plain
`async def (Request) -> Response`, is called straight from this middleware, and an exception it
raises is answered by the same handler the app would have used.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class FastLane:
    """ASGI middleware: (method, path) in `routes` goes straight to its endpoint."""

    def __init__(self, app: ASGIApp, *, owner: FastAPI, routes: Mapping[tuple[str, str], Endpoint]) -> None:
        self._app = app
        self._owner = owner
        self._routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (
            self._routes.get((scope.get("method", ""), scope["path"])) if scope["type"] == "http" else None
        )
        if endpoint is None:
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            answer = handler(request, exc)
            response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Callable[[Request, Exception], Any] | None:
        handlers = self._owner.exception_handlers
        return next((handlers[cls] for cls in type(exc).__mro__ if cls in handlers), None)
