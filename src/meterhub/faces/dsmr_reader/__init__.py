"""The DSMR-reader face: API v1 (raw telegrams) and v2 (readings, consumption, statistics)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from meterhub.auth.access import Access
from meterhub.core.errors import MeterhubError
from meterhub.faces.dsmr_reader import (
    drf,
    errors,
    locale,
    schema,
    v1,
    v2_application,
    v2_consumption,
    v2_datalogger,
    v2_statistics,
)
from meterhub.faces.dsmr_reader.deps import caller
from meterhub.faces.dsmr_reader.render import JSON
from meterhub.web.answers import FaceError
from meterhub.web.face import Docs, Face
from meterhub.web.routes import path_methods

ROUTERS = (
    v1.router,
    v2_datalogger.router,
    v2_consumption.router,
    v2_statistics.router,
    v2_application.router,
)

# Called a thousand times a second by dataloggers: served by the fast lane (meterhub.web.fast_lane).
HOT_ROUTES = {("POST", v1.DATALOGGER): v1.dsmrreading}


def _mount(app: FastAPI) -> None:
    """Upstream's OpenAPI document at /api/v2/schema, and what upstream's Django views answer besides
    their own methods: HEAD as GET, OPTIONS (v2 with DRF's metadata, v1 Django's empty answer) and
    v2's `Allow` on every answer."""
    app.add_api_route(schema.PATH, schema.answer, methods=["GET", "HEAD", "OPTIONS"], include_in_schema=False)
    views: dict[str, dict[str, APIRoute]] = {}
    for route in (r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)):
        # Starlette's Route.methods may be None; an APIRoute's is its set of methods.
        views.setdefault(route.path, {}).update(dict.fromkeys(route.methods or (), route))
    headers: dict[str, dict[str, str]] = {schema.PATH: schema.HEADERS}
    for path, by_method in views.items():
        methods = {*by_method, "OPTIONS"}
        if "GET" in by_method:
            methods.add("HEAD")
            app.add_api_route(path, by_method["GET"].endpoint, methods=["HEAD"], include_in_schema=False)
        app.add_api_route(
            path, _options(path, methods, by_method), methods=["OPTIONS"], include_in_schema=False
        )
        if path != v1.DATALOGGER:  # (a plain Django view, which names its methods only on OPTIONS and 405)
            headers[path] = {"allow": drf.allow(methods)}
    app.add_middleware(drf.ViewHeaders, views=headers)


def _unrouted(app: FastAPI) -> None:
    """Django's 404 page for any other path under upstream's, for every method: its URL patterns
    have no trailing slash and APPEND_SLASH only ever adds one, so Django answers its 404 where
    Starlette would redirect `…/day/`. After every face's routes (others live under /api/v1/ too)."""
    for prefix in drf.DJANGO_PATHS:
        app.router.routes.append(Route(prefix + "{rest:path}", endpoint=drf.Unrouted()))


def _localised(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: the face's answers in the request's language, marked as Django marks them
    (outside the fast lane, whose telegram answers are upstream's too)."""
    return locale.Languages(app, paths=drf.DJANGO_PATHS)


def _options(path: str, methods: set[str], by_method: dict[str, APIRoute]) -> Callable[[Request], Response]:
    headers = {"Allow": drf.allow(methods)}
    if path == v1.DATALOGGER:

        def plain(_request: Request) -> Response:
            # Django's View.options: no key needed, an empty body.
            return Response(media_type="text/html", headers=headers)

        return plain
    body = drf.metadata(path)

    def options(request: Request) -> Response:
        caller(request, version=2, needed=Access.READ)
        return JSON(body, headers=headers)

    return options


def http_error(request: Request, exc: HTTPException) -> Response:
    """Routing errors as upstream answers them: a wrong method v1's empty 405 or DRF's, with the view's
    methods in Django's order; an unknown path Django's 404 page."""
    path = request.url.path
    if exc.status_code == 405:
        headers = {"Allow": drf.allow(path_methods(request))}
        if path.startswith("/api/v1/"):
            return Response(status_code=405, headers=headers)
        try:
            # DRF negotiates and authenticates before it looks for the method's handler; the schema's
            # view authenticates no one.
            if path == schema.PATH:
                drf.negotiated(request, schema.RENDERERS)
            else:
                caller(request, version=2, needed=Access.READ)
        except FaceError as refused:
            return refused.response
        detail = locale.say(locale.of(request), 'Method "{method}" not allowed.', method=request.method)
        return JSON({"detail": detail}, status_code=405, headers=headers)
    if exc.status_code == 404 and path.startswith(drf.DJANGO_PATHS):
        return drf.not_found()
    return JSON({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def domain_error(request: Request, exc: MeterhubError) -> Response:
    """Render a domain error in v1's or v2's shape, by the path."""
    version = 1 if request.url.path.startswith("/api/v1/") else 2
    return errors.from_domain(exc, version=version).response


FACE = Face(
    name="DSMR-reader",
    summary="P1 telegrams in; readings, statistics and costs out",
    routers=ROUTERS,
    # (upstream's document is YAML by default; both pages read its JSON just as well)
    docs=Docs("/dsmr-reader", "/api/v2/schema?format=openapi-json", "DSMR-reader API — meterhub"),
    claims=("/api/v1/", "/api/v2/"),
    mount=_mount,
    finish=_unrouted,
    wrap=(_localised,),
    hot_routes=HOT_ROUTES,
    domain_error=domain_error,
    http_error=http_error,
)
