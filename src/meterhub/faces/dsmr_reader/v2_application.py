"""API v2 application: version and monitoring."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.requests import Request

from meterhub.auth.access import Access
from meterhub.core.buckets import HOUR_MS, to_ms
from meterhub.faces.dsmr_reader import errors
from meterhub.faces.dsmr_reader.deps import caller, platform
from meterhub.faces.dsmr_reader.render import JSON, moment
from meterhub.services import readings

router = APIRouter(
    prefix="/api/v2/application", tags=["DSMR-reader API v2: application"], responses=errors.V2_RESPONSES
)

# The DSMR-reader release whose API this face reproduces; clients compare against it.
API_VERSION = "5.11.0"


@router.get("/version", summary="Version of the DSMR-reader API served")
def version(request: Request) -> JSON:
    """The DSMR-reader version whose API this is."""
    caller(request, version=2, needed=Access.READ)
    return JSON({"version": API_VERSION})


@router.get("/monitoring", summary="Problems that need attention")
def monitoring(request: Request) -> JSON:
    """Problems of the site's data flow, newest first."""
    who = caller(request, version=2, needed=Access.READ)
    with platform(request).db.reader.connect() as conn:
        latest = readings.latest(conn, who.site.id)
    details = []
    now = to_ms(datetime.now(UTC))
    if latest is not None and now - latest.ts > HOUR_MS:
        details.append(
            {
                "source": "datalogger",
                "description": "No recent readings received: check the datalogger and its network connection",
                "since": moment(latest.ts, who.site.timezone),
            }
        )
    return JSON({"problems": len(details), "details": details})
