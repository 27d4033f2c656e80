"""meterhub's own management API (JSON under /api/meterhub/v1): sessions, datasets, datastreams, tokens,
usage."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.core import errors
from meterhub.faces.management import datasets, sessions, tokens, usage
from meterhub.web.answers import retry_headers, status_of

ROUTERS = (sessions.router, datasets.router, tokens.router, usage.router)
PATHS = ("/api/meterhub/",)


def mount(app: FastAPI) -> None:
    """Add the management routes."""
    for router in ROUTERS:
        app.include_router(router)


def domain_error(_request: Request, exc: errors.MeterhubError) -> Response:
    """A domain error as FastAPI answers errors: {"detail": …}."""
    # FastAPI answers a body it cannot accept with 422; so does this API for any invalid input.
    return JSONResponse(
        {"detail": str(exc)}, status_code=status_of(exc, {errors.Invalid: 422}), headers=retry_headers(exc)
    )
