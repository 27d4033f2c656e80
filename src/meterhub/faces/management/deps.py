"""Who is calling the management API: a user's password (HTTP Basic) or a credential with `admin`."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import Request

from meterhub.auth import keys, logins
from meterhub.auth.access import Principal, require_scope
from meterhub.core.errors import Forbidden, MeterhubError, Unauthorized
from meterhub.core.text import text_problem
from meterhub.platform import Platform
from meterhub.web.answers import json_errors

log = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": 'Bearer, Basic realm="meterhub"'}
# The OpenAPI responses of the API's routes: FastAPI's {"detail": …}.
RESPONSES = json_errors({"detail": "You have no token with id 7"})


def platform(request: Request) -> Platform:
    """The platform the app runs on."""
    return request.app.state.platform  # type: ignore[no-any-return]


def principal(request: Request) -> Principal:
    """The caller; 401 without valid credentials, 403 for a key without the admin scope."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    scheme = scheme.lower()
    with platform(request).db.reader.connect() as conn:
        try:
            if scheme == "basic":
                email, password = _basic(value)
                address = request.client.host if request.client else ""
                return logins.login(
                    conn, email, password, limits=platform(request).login_limits, address=address
                )
            key = value.strip() if scheme in ("bearer", "token") else request.headers.get("x-authkey", "")
            found = keys.authenticate(conn, key).principal
        except Unauthorized:
            raise HTTPException(
                401,
                "Sign in with your email and password (HTTP Basic) or a key with the admin scope "
                "(Authorization: Bearer <key>)",
                headers=CHALLENGE,
            ) from None
    try:
        require_scope(found, "admin")
    except Forbidden:
        raise HTTPException(
            403, "This key lacks the admin scope: create one with `meterhub key create --scope admin`"
        ) from None
    return found


Caller = Annotated[Principal, Depends(principal)]


def _basic(value: str) -> tuple[str, str]:
    try:
        email, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("unreadable Basic credentials") from None
    if not sep:
        raise Unauthorized("Basic credentials without a password")
    if text_problem(email) or text_problem(password):  # no account has a NUL in its email
        raise Unauthorized("Basic credentials with a NUL character")
    return email, password


def access_changed(request: Request) -> None:
    """Tell an external broker that who may use which dataset changed (the embedded broker asks the
    database itself). A broker out of reach catches up at its next round."""
    broker = platform(request).broker_accounts
    if broker is None:
        return
    try:
        broker.sync()
    except MeterhubError as exc:
        log.warning("the MQTT broker's accounts will catch up later: %s", exc)
