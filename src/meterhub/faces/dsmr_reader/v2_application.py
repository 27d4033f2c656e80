"""API v2 application: version and monitoring."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.requests import Request

from meterhub.auth.access import Access
from meterhub.core.buckets import to_ms
from meterhub.faces.dsmr_reader import errors, locale
from meterhub.faces.dsmr_reader.deps import caller
from meterhub.faces.dsmr_reader.render import JSON, moment
from meterhub.services import readings
from meterhub.web.app_state import platform

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


# Upstream names each issue's source by the Python module that found it; scripts match on it.
DATALOGGER = "dsmr_datalogger.apps"


# meterhub's words: upstream has no clash, and says only "No recent readings received".
CLASHED = (
    "{telegrams} telegram(s) held values that differ from ones stored for the same moment; "
    "the first were kept. Is a second meter posting with this key?"
)
CHECK = "check the datalogger and its network connection"


@router.get("/monitoring", summary="Problems that need attention")
def monitoring(request: Request) -> JSON:
    """Problems of the site's data flow, newest first."""
    who = caller(request, version=2, needed=Access.READ)
    now = to_ms(datetime.now(UTC))
    tz = who.site.timezone
    language = locale.of(request)
    details = []
    for problem in readings.monitoring(
        platform(request), caller=who.principal, site_id=who.site.id, now_ms=now
    ):
        if problem.kind == readings.CLASHED:
            description = locale.say(language, CLASHED, telegrams=problem.telegrams)
        elif problem.kind == readings.WAITING:
            description = locale.say(language, "Waiting for the first reading ever")
        else:
            description = (
                locale.say(language, "No recent readings received") + ": " + locale.say(language, CHECK)
            )
        details.append(_issue(DATALOGGER, description, problem.since_ms, tz))
    return JSON({"problems": len(details), "details": details})


def _issue(source: str, description: str, since_ms: int, tz: str) -> dict[str, str | None]:
    # (the descriptions start with upstream's words, which scripts grep for)
    return {"source": source, "description": description, "since": moment(since_ms, tz)}
