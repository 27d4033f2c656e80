"""The API documents' pages work without internet: every script, style and icon they load is
served by meterhub itself, pinned, with its licence beside it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Server

PAGES = ["/docs", "/docs/dsmr-reader", "/redoc", "/redoc/dsmr-reader"]
ASSETS = re.compile(r"""(?:src|href)=["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", PAGES)
def test_each_page_loads_only_what_meterhub_serves(server: Server, page: str) -> None:
    client = server.client()
    html = client.get(page)
    assert html.status_code == 200
    urls = {a or b for a, b in ASSETS.findall(html.text)}
    assert urls and all(url.startswith("/") for url in urls), urls
    assert "http://" not in html.text and "https://" not in html.text
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.content, url


def test_the_documents_the_pages_name_are_the_faces_schemas(server: Server) -> None:
    client = server.client()
    assert "/api/meterhub/openapi.json" in client.get("/docs").text
    assert "/api/v2/schema" in client.get("/redoc/dsmr-reader").text
    # (DSMR-reader's document is YAML unless asked for JSON, which the pages are given)
    assert "/api/v2/schema?format=openapi-json" in client.get("/docs/dsmr-reader").text
    assert client.get("/api/v2/schema?format=openapi-json").json()["openapi"].startswith("3.")


def test_the_vendored_libraries_carry_their_licences(server: Server) -> None:
    client = server.client()
    for library in ("swagger-ui-dist-5.35.0", "redoc-2.5.4"):
        licence = client.get(f"/static/vendor/{library}/LICENSE")
        assert licence.status_code == 200
        assert "Permission is hereby granted" in licence.text or "Apache License" in licence.text


def test_the_landing_page_links_both_kinds_of_page(server: Server) -> None:
    landing = server.client().get("/").text
    assert 'href="/docs/dsmr-reader"' in landing and 'href="/redoc/dsmr-reader"' in landing
