"""meterhub's own management API (JSON under /api/meterhub/v1): sessions, datasets, datastreams, tokens,
usage."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.core import errors
from meterhub.faces.management import datasets, sessions, tokens, usage
from meterhub.web.answers import retry_headers, status_of
from meterhub.web.face import Face


def domain_error(_request: Request, exc: errors.MeterhubError) -> Response:
    """A domain error as FastAPI answers errors: {"detail": …}."""
    # FastAPI answers a body it cannot accept with 422; so does this API for any invalid input.
    return JSONResponse(
        {"detail": str(exc)}, status_code=status_of(exc, {errors.Invalid: 422}), headers=retry_headers(exc)
    )


FACE = Face(
    name="meterhub management",
    summary="sessions, datasets, datastreams and tokens (your login, a session or an admin key)",
    routers=(sessions.router, datasets.router, tokens.router, usage.router),
    claims=("/api/meterhub/",),
    domain_error=domain_error,
)
