"""What a face declares to the server. The app is built from the list in `meterhub.faces`: adding a
face is its own package, whose `FACE` says everything below, and its line in that list.

A request's errors are answered by the face that owns its route, whatever its path; a request no
route took (an unknown path, a body refused before routing) by the face claiming the longest prefix
of its path, and by FastAPI's own shape when none does.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from meterhub.core.errors import MeterhubError
from meterhub.web.answers import retry_headers, status_of
from meterhub.web.fast_lane import Endpoint
from meterhub.web.routes import allowed_methods

if TYPE_CHECKING:
    from meterhub.platform import Platform


@dataclass(frozen=True)
class Docs:
    """An OpenAPI document, served as Swagger UI at /docs{suffix} and ReDoc at /redoc{suffix}."""

    suffix: str
    openapi_url: str
    title: str


# meterhub's own document (FastAPI's, of every route declared to it): the faces without one of
# their own upstream are described there.
MAIN_DOCS = Docs("", "/api/meterhub/openapi.json", "meterhub API")


def fastapi_domain_error(_request: Request, exc: MeterhubError) -> Response:
    """A domain error as FastAPI answers errors: {"detail": …}."""
    return JSONResponse({"detail": str(exc)}, status_code=status_of(exc), headers=retry_headers(exc))


def fastapi_http_error(_request: Request, exc: HTTPException) -> Response:
    """A routing error as FastAPI answers it."""
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


@dataclass(frozen=True)
class Face:
    """One service's API as meterhub answers it."""

    name: str  # as the landing page lists it
    summary: str  # what it does, in a line of the landing page
    routers: tuple[APIRouter, ...]
    docs: Docs = MAIN_DOCS
    # Path prefixes whose requests no route took are this face's (its 404s, bodies refused early).
    claims: tuple[str, ...] = ()
    # Adds what the routers cannot say: routes on the app itself, middleware inside the faces'.
    mount: Callable[[FastAPI], None] | None = None
    # Runs once every face has mounted: catch-all routes that must come after everyone's.
    finish: Callable[[FastAPI], None] | None = None
    # Middleware around everything (outermost first), for answers the face marks on the way out.
    wrap: tuple[Callable[[ASGIApp], ASGIApp], ...] = ()
    # (method, path) -> endpoint, served past the framework (web/fast_lane.py).
    hot_routes: Mapping[tuple[str, str], Endpoint] = field(default_factory=dict)
    # Paths whose bodies stream to disk with a limit of their own, not the server's body cap.
    streamed: tuple[re.Pattern[str], ...] = ()
    # What runs as long as the server does (started in the lifespan, stopped in reverse order).
    services: tuple[Callable[[Platform], AbstractAsyncContextManager[object]], ...] = ()
    domain_error: Callable[[Request, MeterhubError], Response] = fastapi_domain_error
    http_error: Callable[[Request, HTTPException], Response] = fastapi_http_error
    validation_error: Callable[[Request, RequestValidationError], Response | Awaitable[Response]] = (
        request_validation_exception_handler
    )


class Owners:
    """Which face answers for a request: the one whose route took it, else the longest claim; and
    the app's error handlers, each answering in that face's shape."""

    def __init__(self) -> None:
        self._by_route: dict[int, Face] = {}
        self._claims: list[tuple[str, Face]] = []

    def add(self, face: Face, routes: Iterable[object]) -> None:
        """The routes are the face's (whatever their paths); so are the requests under its claims."""
        self._by_route.update(dict.fromkeys(map(id, routes), face))
        self._claims = sorted(
            [*self._claims, *((prefix, face) for prefix in face.claims)], key=lambda c: -len(c[0])
        )

    def of(self, request: Request) -> Face | None:
        """The face answering for the request; None for a path no face claims."""
        route = request.scope.get("route")
        if route is not None and (face := self._by_route.get(id(route))) is not None:
            return face
        path = request.url.path
        return next((face for prefix, face in self._claims if path.startswith(prefix)), None)

    def domain_error(self, request: Request, exc: MeterhubError) -> Response:
        face = self.of(request)
        return (face.domain_error if face else fastapi_domain_error)(request, exc)

    async def refusal(self, request: Request, exc: MeterhubError) -> Response:
        """A body refused before routing (web/bodies.py)."""
        return self.domain_error(request, exc)

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            exc.headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
        face = self.of(request)
        return (face.http_error if face else fastapi_http_error)(request, exc)

    async def validation_error(self, request: Request, exc: RequestValidationError) -> Response:
        face = self.of(request)
        answer = (face.validation_error if face else request_validation_exception_handler)(request, exc)
        return await answer if inspect.isawaitable(answer) else answer
