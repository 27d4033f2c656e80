"""The ASGI app: every face, the landing page and the shared platform under one server."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from meterhub import __version__
from meterhub.config import Settings
from meterhub.core.errors import MeterhubError
from meterhub.faces import dsmr_reader, energydata_dk, management
from meterhub.mqtt.bridge import start_bridge
from meterhub.mqtt.embedded import EmbeddedBroker
from meterhub.platform import Platform
from meterhub.web import api_docs, landing
from meterhub.web.answers import FaceError, face_error
from meterhub.web.bodies import BodyGuard
from meterhub.web.fast_lane import FastLane
from meterhub.web.routes import allowed_methods


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    """An app on its own platform (or the one given, which the caller then closes)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = platform is None
        app.state.platform = platform or Platform(settings)
        # Everything built so far lives as long as the server: keep the collector from walking it
        # again and again (full collections cost 50+ ms with a large heap).
        broker = (
            await _start_broker(app.state.platform) if settings.mqtt_port and not settings.mqtt_url else None
        )
        bridge = await asyncio.to_thread(start_bridge, app.state.platform) if settings.mqtt_url else None
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if broker is not None:
                await broker.shutdown()
            if bridge is not None:
                await asyncio.to_thread(bridge.stop)
            if own:
                app.state.platform.close()

    app = FastAPI(
        title="meterhub",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/meterhub/openapi.json",
        # meterhub configures no OpenTelemetry providers; without this FastAPI looks them up on
        # every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    if platform is not None:
        app.state.platform = platform
    dsmr_reader.mount(app)
    energydata_dk.mount(app)
    management.mount(app)
    # Inside the fast lane, whose telegram route caps its own body with the same reader.
    app.add_middleware(
        BodyGuard, max_bytes=settings.max_body_bytes, refuse=_refusal, streamed=energydata_dk.STREAMED
    )
    app.add_middleware(FastLane, owner=app, routes=dsmr_reader.HOT_ROUTES)
    app.add_middleware(dsmr_reader.localised)
    app.add_exception_handler(FaceError, face_error)
    app.add_exception_handler(MeterhubError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        return HTMLResponse(landing.page(request.app.state.platform))

    api_docs.mount(app)
    return app


async def _start_broker(platform: Platform) -> EmbeddedBroker:
    settings = platform.settings
    broker = EmbeddedBroker(
        platform,
        host=settings.host,
        port=settings.mqtt_port,
        tls_port=settings.mqtt_tls_port,
        certfile=settings.mqtt_certfile,
        keyfile=settings.mqtt_keyfile,
    )
    try:
        await broker.start()
    except Exception as exc:
        raise SystemExit(
            f"the MQTT broker cannot listen on {settings.host}:{settings.mqtt_port} ({exc}); "
            "choose another port with METERHUB_MQTT_PORT, or 0 to run without MQTT"
        ) from None
    return broker


async def _refusal(request: Request, exc: MeterhubError) -> Response:
    return _domain_error(request, exc)


def _domain_error(request: Request, exc: MeterhubError) -> Response:
    # Each face answers in its own service's shape; the path says whose request it was.
    if request.url.path.startswith(energydata_dk.PATHS):
        return energydata_dk.domain_error(request, exc)
    if request.url.path.startswith(management.PATHS):
        return management.domain_error(request, exc)
    return dsmr_reader.domain_error(request, exc)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if request.url.path.startswith(energydata_dk.PATHS):
        return energydata_dk.validation_error(request, exc)
    return await request_validation_exception_handler(request, exc)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    path = request.url.path
    if exc.status_code == 405:
        exc.headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
    if path.startswith(energydata_dk.PATHS):
        return energydata_dk.http_error(request, exc)
    # Wrong methods and unknown paths answer as DSMR-reader's Django and DRF do.
    if path.startswith(dsmr_reader.PATHS):
        return dsmr_reader.http_error(request, exc)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
