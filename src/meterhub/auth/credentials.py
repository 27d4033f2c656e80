"""What a request presents as its credentials, read in one place for every face that takes
passwords, session tokens and API keys, and the principal they give."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from sqlalchemy import Connection

from meterhub.auth import keys, logins
from meterhub.auth.access import Principal
from meterhub.auth.login_limits import LoginLimits
from meterhub.auth.sessions import Sessions
from meterhub.core.errors import Unauthorized
from meterhub.core.text import text_problem

# A JWT is three base64url parts with dots between them (the third empty for `alg: none`, which is
# read as a session token to be refused as one); API keys are letters and digits only, never a dot.
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Password:
    email: str
    password: str


@dataclass(frozen=True)
class SessionToken:
    token: str


@dataclass(frozen=True)
class Key:
    key: str  # '' when none was given


Presented = Password | SessionToken | Key


def presented(authorization: str, authkey: str = "") -> Presented:
    """The credentials of a request: HTTP Basic, a Bearer (or Token) session token or key, else the
    X-AUTHKEY header's key. Unauthorized for unreadable Basic credentials."""
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        return _basic(value)
    if scheme in ("bearer", "token"):
        value = value.strip()
        return SessionToken(value) if _JWT.fullmatch(value) else Key(value)
    return Key(authkey)


def principal(
    conn: Connection, given: Presented, *, sessions: Sessions, login_limits: LoginLimits, address: str
) -> Principal:
    """The principal behind the credentials; Unauthorized when they are wrong, RateLimited after
    too many failed logins."""
    if isinstance(given, Password):
        return logins.login(conn, given.email, given.password, limits=login_limits, address=address)
    if isinstance(given, SessionToken):
        return sessions.principal(conn, given.token)
    return keys.authenticate(conn, given.key).principal


def _basic(value: str) -> Password:
    try:
        email, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("unreadable Basic credentials") from None
    if not sep:
        raise Unauthorized("Basic credentials without a password")
    if text_problem(email) or text_problem(password):  # no account has a NUL in its email
        raise Unauthorized("Basic credentials with a NUL character")
    return Password(email, password)
