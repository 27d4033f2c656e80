"""A face declares itself (web/face.py) and the app is built from the list: a new face, added to
that list and nothing else, is routed, answers its errors in its own shape whatever its paths share
with other faces, is on the landing page with its documentation, and runs its services with the
server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.app import create_app
from meterhub.core.errors import MeterhubError, NotFound
from meterhub.faces import FACES
from meterhub.platform import Platform
from meterhub.web.answers import status_of
from meterhub.web.face import Docs, Face
from tests.conftest import Account, serving

# A face living under DSMR-reader's /api/v1/, as Climkit's will, with errors of its own shape.
router = APIRouter()
running: list[str] = []


@router.get("/api/v1/communities/{community_id}")
def community(community_id: int) -> dict[str, int]:
    raise NotFound(f"no community {community_id}")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status, headers=headers)


def _domain_error(_request: Request, exc: MeterhubError) -> Response:
    return _error(status_of(exc), str(exc))


def _http_error(_request: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, str(exc.detail), exc.headers)  # (a 405's Allow)


@asynccontextmanager
async def _feed(_platform: Platform) -> AsyncIterator[None]:
    running.append("started")
    yield
    running.append("stopped")


COMMUNITIES = Face(
    name="Communities",
    summary="energy communities and their members' solar share",
    routers=(router,),
    docs=Docs("/communities", "/api/meterhub/openapi.json", "Communities — meterhub"),
    services=(_feed,),
    domain_error=_domain_error,
    http_error=_http_error,
)


def _app(platform: Platform) -> FastAPI:
    return create_app(platform.settings, platform, faces=(*FACES, COMMUNITIES))


def test_a_new_face_answers_its_errors_in_its_shape_under_another_faces_paths(
    platform: Platform, account: Account
) -> None:
    with serving(_app(platform), platform) as server:
        client = server.client(account.key)
        missing = client.get("/api/v1/communities/7")
        assert missing.status_code == 404
        assert missing.json() == {"error": {"code": 404, "message": "no community 7"}}
        wrong_method = client.delete("/api/v1/communities/7")
        assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET"
        assert wrong_method.json() == {"error": {"code": 405, "message": "Method Not Allowed"}}
        # DSMR-reader's paths beside it still answer as upstream's Django does.
        unknown = client.get("/api/v2/nothing-here")
        assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
        assert client.get("/api/v1/datalogger/dsmrreading").status_code == 405


def test_a_new_face_is_on_the_landing_page_with_its_documentation(platform: Platform) -> None:
    with serving(_app(platform), platform) as server:
        client = server.client()
        landing = client.get("/").text
        assert "Communities" in landing and "members&#x27; solar share" in landing
        assert 'href="/docs/communities"' in landing and 'href="/redoc/communities"' in landing
        assert client.get("/docs/communities").status_code == 200
        assert (
            "/api/v1/communities/{community_id}" in client.get("/api/meterhub/openapi.json").json()["paths"]
        )


def test_a_faces_services_run_as_long_as_the_server(platform: Platform) -> None:
    app = create_app(platform.settings.model_copy(update={"mqtt_port": 0}), platform, faces=(COMMUNITIES,))
    running.clear()

    async def lifespan() -> None:
        async with app.router.lifespan_context(app):
            assert running == ["started"]

    asyncio.run(lifespan())
    assert running == ["started", "stopped"]
