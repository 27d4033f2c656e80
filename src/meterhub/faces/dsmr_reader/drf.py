"""What Django and DRF answer around DSMR-reader's views: HEAD and OPTIONS, `Allow`, `?format=` and
`Accept`, and the 404 of a path its URLconf does not know."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meterhub.faces.dsmr_reader import drf_views, errors, locale, serializers
from meterhub.web.routes import path_methods

# Where upstream's URLconf is Django's: v1's datalogger and all of v2 (meterhub's other faces share
# /api/v1/).
DJANGO_PATHS = ("/api/v1/datalogger/", "/api/v2/")

# Django's http_method_names: the order a view lists its methods in `Allow`.
_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")

# Django's page for a path no URL pattern matches (DEBUG off, no 404.html), as upstream serves it.
NOT_FOUND_PAGE = """
<!doctype html>
<html lang="en">
<head>
  <title>Not Found</title>
</head>
<body>
  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>
</body>
</html>
"""

# Upstream renders only JSON and parses DRF's default three.
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]


@dataclass(frozen=True)
class Renderer:
    """A DRF renderer as content negotiation sees it: its `?format=` and its media type."""

    format: str
    media_type: str


JSON = Renderer("json", "application/json")


def metadata(path: str) -> dict[str, Any]:
    """DRF's SimpleMetadata of a v2 view, its OPTIONS answer: a POST view also lists its
    serializer's fields (DRF describes PUT and POST only, so a PATCH view does not)."""
    view = drf_views.BY_PATH[path]
    found: dict[str, Any] = {
        "name": view.name,
        "description": view.docstring,
        "renders": [JSON.media_type],
        "parses": PARSES,
    }
    if view.serializer is not None and "POST" in view.operations:
        found["actions"] = {"POST": serializers.actions(view.serializer)}
    return found


def allow(methods: Iterable[str]) -> str:
    """A view's methods as Django lists them in `Allow`."""
    given = set(methods)
    return ", ".join(m for m in _METHOD_ORDER if m in given)


def not_found() -> Response:
    """Django's 404 page."""
    return HTMLResponse(NOT_FOUND_PAGE, status_code=404)


class Unrouted:
    """The ASGI app behind a catch-all route of no methods: a path under DJANGO_PATHS that no route
    took is a 405 if the path has routes (Starlette would have said so had the catch-all not
    matched), else the 404."""

    async def __call__(self, scope: Scope, _receive: Receive, _send: Send) -> None:
        raise HTTPException(405 if path_methods(Request(scope)) else 404)


class ViewHeaders:
    """ASGI middleware: DRF sends every answer of a view, errors too, with `Allow` (its methods) and,
    where the view has several renderers, `Vary: Accept`."""

    def __init__(self, app: ASGIApp, *, views: Mapping[str, Mapping[str, str]]) -> None:
        self._app = app
        self._views = dict(views)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self._views.get(scope["path"]) if scope["type"] == "http" else None
        if headers is None:
            await self._app(scope, receive, send)
            return

        async def send_allowed(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = MutableHeaders(scope=message)
                for name, value in headers.items():
                    sent.setdefault(name, value)
            await send(message)

        await self._app(scope, receive, send_allowed)


def negotiated(request: Request, renderers: tuple[Renderer, ...] = (JSON,)) -> Renderer:
    """The renderer DRF's content negotiation picks, checked (as DRF does) before the key: a
    `?format=` no renderer has is a 404, an `Accept` none satisfies a 406."""
    wanted = request.query_params.get("format")
    if wanted:
        renderers = tuple(r for r in renderers if r.format == wanted)
        if not renderers:
            raise errors.v2_detail(404, locale.say(locale.of(request), "Not found."))
    for accepted in _by_precedence(request.headers.get("accept", "*/*")):
        for renderer in renderers:
            if any(_satisfies(renderer, media_range) for media_range in accepted):
                return renderer
    raise errors.v2_detail(
        406, locale.say(locale.of(request), "Could not satisfy the request Accept header.")
    )


def _by_precedence(accept: str) -> list[list[tuple[str, str, bool]]]:
    """The media ranges of `Accept` as (type, subtype, has parameters other than q), grouped most
    specific first, as DRF orders them; it reads no q value."""
    groups: list[list[tuple[str, str, bool]]] = [[], [], [], []]
    for item in accept.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        main, _, sub = kind.lower().partition("/")
        named = any(p and not p.lower().startswith("q=") for p in params)
        precedence = 0 if main == "*" else 1 if sub == "*" else 3 if named else 2
        groups[3 - precedence].append((main, sub, named))
    return [group for group in groups if group]


def _satisfies(renderer: Renderer, media_range: tuple[str, str, bool]) -> bool:
    # DRF's _MediaType.match, the renderer's type against the client's: a renderer's media type has
    # no parameters, so the client's are not compared.
    main, sub, _ = media_range
    own_main, _, own_sub = renderer.media_type.partition("/")
    return main in ("*", own_main) and sub in ("*", own_sub)
