"""The landing page: what is running and where each face's API documentation is."""

from __future__ import annotations

from html import escape

from meterhub import __version__
from meterhub.platform import Platform

FACES = (
    (
        "DSMR-reader",
        "/docs/dsmr-reader",
        "/api/v2/schema",
        "P1 telegrams in; readings, statistics and costs out",
    ),
    (
        "energydata.dk",
        "/docs",
        "/api/meterhub/openapi.json",
        "datastream values as CSV, batch CSV import (bearer tokens)",
    ),
    (
        "meterhub management",
        "/docs",
        "/api/meterhub/openapi.json",
        "datasets, datastreams and tokens (your login or an admin key)",
    ),
)


def page(platform: Platform) -> str:
    """The landing page's HTML."""
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(text)}</td>"
        f'<td><a href="{docs}">docs</a> · <a href="{docs.replace("/docs", "/redoc", 1)}">ReDoc</a> · '
        f'<a href="{schema}">OpenAPI</a></td></tr>'
        for name, docs, schema, text in FACES
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
