"""meterhub's own management API (JSON under /api/meterhub/v1): datasets, datastreams, tokens."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.core import errors
from meterhub.faces.management import datasets, tokens

ROUTERS = (datasets.router, tokens.router)
PATHS = ("/api/meterhub/",)

_STATUS = (
    (errors.Invalid, 422),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.RateLimited, 429),
)


def mount(app: FastAPI) -> None:
    """Add the management routes."""
    for router in ROUTERS:
        app.include_router(router)


def domain_error(_request: Request, exc: errors.MeterhubError) -> Response:
    """A domain error as FastAPI answers errors: {"detail": …}."""
    status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 400)
    return JSONResponse({"detail": str(exc)}, status_code=status)
