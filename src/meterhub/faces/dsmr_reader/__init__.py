"""The DSMR-reader face: API v1 (raw telegrams) and v2 (readings, consumption, statistics)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.core.errors import MeterhubError
from meterhub.faces.dsmr_reader import (
    errors,
    v1,
    v2_application,
    v2_consumption,
    v2_datalogger,
    v2_statistics,
)

ROUTERS = (
    v1.router,
    v2_datalogger.router,
    v2_consumption.router,
    v2_statistics.router,
    v2_application.router,
)


# Called a thousand times a second by dataloggers: served by the fast lane (meterhub.web.fast_lane).
HOT_ROUTES = {("POST", "/api/v1/datalogger/dsmrreading"): v1.dsmrreading}


def mount(app: FastAPI) -> None:
    """Add the face's routes, its error shapes and its OpenAPI schema at /api/v2/schema."""
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/api/v2/schema", include_in_schema=False)
    def schema() -> JSONResponse:
        return JSONResponse(
            get_openapi(
                title="DSMR-reader API (served by meterhub)",
                version=v2_application.API_VERSION,
                routes=[route for router in ROUTERS for route in router.routes],
            )
        )


def domain_error(request: Request, exc: MeterhubError) -> Response:
    """Render a domain error in v1's or v2's shape, by the path."""
    version = 1 if request.url.path.startswith("/api/v1/") else 2
    return errors.from_domain(exc, version=version).response
