"""The energydata.dk face: datastream values as CSV, and the batch CSV import."""

from __future__ import annotations

from fastapi import FastAPI

from meterhub.faces.energydata_dk import imports, values
from meterhub.faces.energydata_dk.errors import domain_error, http_error

ROUTERS = (values.router, imports.router)
# Requests under these paths are this face's: its errors are answered in its shape.
PATHS = ("/api/v1/datastreams", "/api/v1/import")

__all__ = ["PATHS", "ROUTERS", "domain_error", "http_error", "mount"]


def mount(app: FastAPI) -> None:
    """Add the face's routes."""
    for router in ROUTERS:
        app.include_router(router)
