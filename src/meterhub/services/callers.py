"""Who is calling: the principal behind a request's credentials, looked up on a connection of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from meterhub.auth import credentials, keys
from meterhub.auth.access import Principal

if TYPE_CHECKING:
    from meterhub.platform import Platform


def key_holder(platform: Platform, *, key: str) -> Principal:
    """The principal behind an API key or token; Unauthorized when it is unknown, revoked or expired."""
    with platform.db.reader.connect() as conn:
        return keys.authenticate(conn, key).principal


def signed_in(platform: Platform, *, given: credentials.Presented, address: str) -> Principal:
    """The principal behind a password, session token or key; Unauthorized when they are wrong,
    RateLimited after too many failed logins from the address."""
    with platform.db.reader.connect() as conn:
        return credentials.principal(
            conn, given, sessions=platform.sessions, login_limits=platform.login_limits, address=address
        )
