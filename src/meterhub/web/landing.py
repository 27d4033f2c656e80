"""The landing page: what is running and where each face's API documentation is."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from meterhub import __version__
from meterhub.platform import Platform
from meterhub.web.face import Face


def page(platform: Platform, faces: Sequence[Face]) -> str:
    """The landing page's HTML: a row per face, with its documentation's pages."""
    rows = "".join(
        f"<tr><td>{escape(face.name)}</td><td>{escape(face.summary)}</td>"
        f'<td><a href="/docs{face.docs.suffix}">docs</a> · <a href="/redoc{face.docs.suffix}">ReDoc</a> · '
        f'<a href="{escape(face.docs.openapi_url)}">OpenAPI</a></td></tr>'
        for face in faces
    )
    database = "PostgreSQL" if platform.db.dialect == "postgresql" else "SQLite"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meterhub</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 3rem auto; padding: 0 1rem; color: #1d2733; }}
h1 {{ margin-bottom: .2rem; }} .sub {{ color: #5b6b7c; margin-top: 0; }}
table {{ border-collapse: collapse; width: 100%; }} td {{ padding: .5rem; border-bottom: 1px solid #e3e8ee; }}
a {{ color: #0b6bcb; }}
</style></head>
<body><h1>meterhub {escape(__version__)}</h1>
<p class="sub">Running on {database}. Each face below speaks an existing service's API; point its
clients here with a meterhub API key.</p>
<table>{rows}</table>
<p>Post a telegram: <code>curl -d 'telegram=…' -H 'X-AUTHKEY: KEY' {{this server}}/api/v1/datalogger/dsmrreading</code></p>
</body></html>"""
