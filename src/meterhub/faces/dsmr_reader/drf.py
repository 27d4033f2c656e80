"""What Django and DRF answer around DSMR-reader's views: HEAD and OPTIONS, `Allow`, `?format=` and
`Accept`, and the 404 of a path its URLconf does not know."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meterhub.faces.dsmr_reader import errors, locale
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

# DRF's OPTIONS `name`: upstream's view class without "View"/"ViewSet", its words spaced.
VIEW_NAMES = {
    "/api/v2/datalogger/dsmrreading": "Dsmr Reading",
    "/api/v2/datalogger/meter-statistics": "Meter Statistics",
    "/api/v2/consumption/electricity": "Electricity Consumption",
    "/api/v2/consumption/gas": "Gas Consumption",
    "/api/v2/consumption/quarter-hour-peak-electricity": "Quarter Hour Peak Electricity Consumption",
    "/api/v2/consumption/energy-supplier-prices": "Energy Supplier Price",
    "/api/v2/consumption/today": "Today Consumption",
    "/api/v2/consumption/electricity-live": "Electricity Live",
    "/api/v2/consumption/gas-live": "Gas Live",
    "/api/v2/statistics/day": "Day Statistics",
    "/api/v2/statistics/hour": "Hour Statistics",
    "/api/v2/application/version": "Version",
    "/api/v2/application/monitoring": "Monitoring Issues",
}

# Upstream renders only JSON and parses DRF's default three.
RENDERS = ["application/json"]
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]


def metadata(path: str, description: str) -> dict[str, Any]:
    """DRF's SimpleMetadata of a view, its OPTIONS answer."""
    return {"name": VIEW_NAMES[path], "description": description, "renders": RENDERS, "parses": PARSES}


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


class AllowHeader:
    """ASGI middleware: DRF sends every answer of a view, errors too, with `Allow` (its methods)."""

    def __init__(self, app: ASGIApp, *, views: Mapping[str, str]) -> None:
        self._app = app
        self._views = dict(views)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = self._views.get(scope["path"]) if scope["type"] == "http" else None
        if allowed is None:
            await self._app(scope, receive, send)
            return

        async def send_allowed(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("allow", allowed)
            await send(message)

        await self._app(scope, receive, send_allowed)


def negotiated(request: Request) -> None:
    """Raise DRF's answer when the request asks for a format other than JSON (checked, as DRF does,
    before the key): a `?format=` other than json is a 404, an `Accept` JSON does not satisfy a 406."""
    wanted = request.query_params.get("format")
    if wanted and wanted != "json":
        raise errors.v2_detail(404, locale.say(locale.of(request), "Not found."))
    accept = request.headers.get("accept")
    if accept is not None and not any(_takes_json(item) for item in accept.split(",")):
        raise errors.v2_detail(
            406, locale.say(locale.of(request), "Could not satisfy the request Accept header.")
        )


def _takes_json(media_range: str) -> bool:
    # DRF's _MediaType.match against application/json: any parameter but q must be the renderer's,
    # and it has none.
    kind, *params = (part.strip() for part in media_range.split(";"))
    main, _, sub = kind.lower().partition("/")
    if any(not p.lower().startswith("q=") for p in params if p):
        return False
    return main in ("*", "application") and sub in ("*", "json")
