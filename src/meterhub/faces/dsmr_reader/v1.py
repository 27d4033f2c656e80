"""API v1: the remote datalogger posts raw telegrams."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from meterhub.auth.access import Access
from meterhub.core.errors import Invalid, TelegramError, TooLarge
from meterhub.faces.dsmr_reader import body, errors
from meterhub.faces.dsmr_reader.deps import caller
from meterhub.faces.dsmr_reader.forms import documented
from meterhub.platform import Platform
from meterhub.services import telegrams
from meterhub.web.answers import FaceError
from meterhub.web.app_state import platform

log = logging.getLogger(__name__)

NO_TELEGRAM = (
    f"{errors.INVALID_DATA}: post the raw telegram, line endings included, in the form field 'telegram'"
)

router = APIRouter(tags=["DSMR-reader API v1"], responses=errors.V1_RESPONSES)

DATALOGGER = "/api/v1/datalogger/dsmrreading"


@router.post(
    DATALOGGER,
    status_code=201,
    summary="Insert a raw P1 telegram (form field `telegram`)",
    responses={
        201: {"description": "Stored; empty body"},
        400: {"description": "Not a valid telegram: a hint"},
    },
    openapi_extra=documented({"telegram": "string"}, ["telegram"], ["application/x-www-form-urlencoded"]),
)
async def dsmrreading(request: Request) -> Response:
    """Parse, check and store a telegram; 201 with an empty body once it is on disk."""
    p = platform(request)
    who = caller(request, version=1, needed=Access.WRITE)
    site_id = who.site.id
    try:
        form = await body.fields(request, p.settings.max_body_bytes)
    except TooLarge:
        limit = p.settings.max_body_bytes
        hint = f"Request body too large: a telegram is a few kB; the limit is {limit} bytes"
        raise _refused(p, site_id, 413, "too large", hint) from None
    except Invalid:
        raise _refused(p, site_id, 400, "no telegram field", NO_TELEGRAM) from None
    text = form.get("telegram")
    if not isinstance(text, str) or not text.strip("\x00 \r\n\t"):
        raise _refused(p, site_id, 400, "no telegram field", NO_TELEGRAM)
    try:
        await telegrams.store_telegram(p, caller=who.principal, site_id=site_id, text=text)
    except TelegramError as exc:
        raise _refused(p, site_id, 400, exc.reason, f"{errors.PARSE_FAILED}: {exc}") from None
    return Response(status_code=201)


def _refused(p: Platform, site_id: int, status: int, reason: str, hint: str) -> FaceError:
    """The answer to a refused telegram, told to the log too (with the hint, not the telegram:
    the hint quotes what of it matters), once a minute for each site and kind of problem."""
    p.limited_log.log(
        log,
        logging.WARNING,
        ("telegram", site_id, reason),
        "a telegram for site %s was refused (%s): %s",
        site_id,
        reason,
        hint,
    )
    return errors.v1(status, hint)
