"""The ASGI app: every face, the landing page and the shared platform under one server."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from meterhub import __version__
from meterhub.config import Settings
from meterhub.core.errors import MeterhubError
from meterhub.faces import FACES
from meterhub.platform import Platform
from meterhub.web import api_docs, landing
from meterhub.web.answers import FaceError, face_error
from meterhub.web.bodies import BodyGuard
from meterhub.web.face import Face, Owners
from meterhub.web.fast_lane import FastLane


def create_app(
    settings: Settings, platform: Platform | None = None, faces: tuple[Face, ...] = FACES
) -> FastAPI:
    """An app of the faces on its own platform (or the one given, which the caller then closes)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = platform is None
        app.state.platform = platform or Platform(settings)
        async with AsyncExitStack() as running:
            try:
                for face in faces:
                    for service in face.services:
                        await running.enter_async_context(service(app.state.platform))
                # Everything built so far lives as long as the server: keep the collector from walking
                # it again and again (full collections cost 50+ ms with a large heap).
                gc.collect()
                gc.freeze()
                yield
            finally:
                await running.aclose()
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
    app.state.faces = faces
    owners = Owners()
    for face in faces:
        before = len(app.router.routes)
        for router in face.routers:
            app.include_router(router)
        if face.mount is not None:
            face.mount(app)
        owners.add(
            face, [*(r for router in face.routers for r in router.routes), *app.router.routes[before:]]
        )
    for face in faces:
        if face.finish is not None:
            before = len(app.router.routes)
            face.finish(app)
            owners.add(face, app.router.routes[before:])
    app.add_exception_handler(FaceError, face_error)
    app.add_exception_handler(MeterhubError, owners.domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, owners.http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, owners.validation_error)  # type: ignore[arg-type]
    # Inside the fast lane, whose telegram route caps its own body with the same reader.
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.max_body_bytes,
        refuse=owners.refusal,
        streamed=tuple(pattern for face in faces for pattern in face.streamed),
    )
    app.add_middleware(
        FastLane, owner=app, routes={k: v for face in faces for k, v in face.hot_routes.items()}
    )
    for wrap in reversed([wrap for face in faces for wrap in face.wrap]):
        app.add_middleware(wrap)

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        return HTMLResponse(landing.page(request.app.state.platform, faces))

    api_docs.mount(app, [face.docs for face in faces])
    return app
