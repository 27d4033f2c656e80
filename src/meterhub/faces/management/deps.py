"""Who is calling the management API: a user's password (HTTP Basic), their session token or a
credential with `admin` (both Bearer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import Request

from meterhub.auth import credentials
from meterhub.auth.access import Principal, require_scope
from meterhub.core.errors import Forbidden, Unauthorized
from meterhub.services import callers
from meterhub.web.answers import json_errors
from meterhub.web.app_state import platform

CHALLENGE = {"WWW-Authenticate": 'Bearer, Basic realm="meterhub"'}
# The OpenAPI responses of the API's routes: FastAPI's {"detail": …}.
RESPONSES = json_errors({"detail": "You have no token with id 7"})


def principal(request: Request) -> Principal:
    """The caller; 401 without valid credentials, 403 for a key without the admin scope."""
    try:
        found = callers.signed_in(platform(request), given=presented(request), address=address(request))
    except Unauthorized:
        raise HTTPException(
            401,
            "Sign in with your email and password (HTTP Basic), a session token or a key with the "
            "admin scope (Authorization: Bearer <token or key>)",
            headers=CHALLENGE,
        ) from None
    try:
        require_scope(found, "admin")
    except Forbidden:
        raise HTTPException(
            403, "This key lacks the admin scope: create one with `meterhub key create --scope admin`"
        ) from None
    return found


def presented(request: Request) -> credentials.Presented:
    """The request's credentials (HTTP Basic, Bearer or X-AUTHKEY); Unauthorized for unreadable ones."""
    return credentials.presented(
        request.headers.get("authorization", ""), request.headers.get("x-authkey", "")
    )


def address(request: Request) -> str:
    """The client's address, as logins are counted by."""
    return request.client.host if request.client else ""


Caller = Annotated[Principal, Depends(principal)]
