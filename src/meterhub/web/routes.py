"""The routes an app serves, found through the routers FastAPI includes (it keeps theirs apart)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute


def served(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """Every route with methods (APIRoute, Route) among these and the routers they include."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from served(included.routes)
        elif getattr(route, "methods", None):
            yield route


def path_methods(request: Request) -> set[str]:
    """The methods the request's path has (Starlette names only those of the first route with the
    path, where GET and POST are two routes)."""
    path = request.url.path
    return {
        m
        for route in served(request.app.router.routes)
        if route.path_regex.match(path)
        for m in route.methods
    }


def allowed_methods(request: Request) -> str:
    """The methods the request's path has, for a 405's Allow header."""
    return ", ".join(sorted(path_methods(request)))
