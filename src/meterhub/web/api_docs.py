"""Each OpenAPI document as Swagger UI (/docs…) and ReDoc (/redoc…) pages whose scripts and styles
meterhub serves itself (static/vendor/, written by scripts/vendor): the pages work without internet."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from meterhub.web.face import Docs

STATIC = Path(__file__).resolve().parent / "static"
SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.35.0"
REDOC = "/static/vendor/redoc-2.5.4"


def mount(app: FastAPI, documents: Iterable[Docs]) -> None:
    """Serve the vendored assets under /static and a Swagger UI and a ReDoc page per document (once
    each: several faces are described in meterhub's own)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for docs in dict.fromkeys(documents):
        _pages(app, docs.suffix, docs.openapi_url, docs.title)


def _pages(app: FastAPI, suffix: str, openapi_url: str, title: str) -> None:
    @app.get(f"/docs{suffix}", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        )

    @app.get(f"/redoc{suffix}", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
            with_google_fonts=False,
        )
