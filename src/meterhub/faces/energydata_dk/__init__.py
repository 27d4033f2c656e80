"""The energydata.dk face: datastream values as CSV, and the batch CSV import."""

from __future__ import annotations

import re

from fastapi import FastAPI

from meterhub.faces.energydata_dk import imports, values
from meterhub.faces.energydata_dk.errors import domain_error, http_error, validation_error

ROUTERS = (values.router, imports.router)
# Requests under these paths are this face's: its errors are answered in its shape.
PATHS = ("/api/v1/datastreams", "/api/v1/import")
# The import file's upload streams to disk with its own limit (Settings.import_max_bytes).
STREAMED = (re.compile(r"/api/v1/import/[^/]+/upload"),)

__all__ = ["PATHS", "ROUTERS", "STREAMED", "domain_error", "http_error", "mount", "validation_error"]


def mount(app: FastAPI) -> None:
    """Add the face's routes."""
    for router in ROUTERS:
        app.include_router(router)
