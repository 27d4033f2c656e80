"""Signing in with a user's email and password."""

from __future__ import annotations

import secrets
from functools import partial

from sqlalchemy import Connection

from meterhub.auth.access import Access, Principal
from meterhub.auth.keys import SCOPES
from meterhub.auth.login_limits import LoginLimits
from meterhub.auth.passwords import hash_password, verify_password
from meterhub.core.entities import User
from meterhub.core.errors import NotFound, Unauthorized
from meterhub.store import accounts

# Checked against when the email is unknown, so that the answer takes as long as for a wrong password;
# of a random secret, so that it never matches and the failure is always counted.
_NOBODY = hash_password(secrets.token_urlsafe(32))


def login(conn: Connection, email: str, password: str, *, limits: LoginLimits, address: str) -> Principal:
    """The user's principal (every scope, their sites); Unauthorized if email or password is wrong,
    RateLimited after too many failures for the account or from the client's address."""
    # Checked before waiting for a hashing slot (a refused flood costs nothing) and again in it
    # (what failed while this login waited counts).
    limits.check(email=email, address=address)
    again = partial(limits.check, email=email, address=address)
    failed = partial(limits.failed, email=email, address=address)
    try:
        user = accounts.get_user(conn, email=email)
    except NotFound:
        verify_password(_NOBODY, password, first=again, wrong=failed)
        raise Unauthorized("wrong email or password") from None
    if not verify_password(user.password_hash, password, first=again, wrong=failed):
        raise Unauthorized("wrong email or password")
    return user_principal(conn, user)


def user_principal(conn: Connection, user: User) -> Principal:
    """The principal of a signed-in user (by password or session): every scope, their sites."""
    sites = {site: Access[level.upper()] for site, level in accounts.memberships(conn, user.id).items()}
    return Principal(
        user_id=user.id, credential_id=None, scopes=frozenset(SCOPES), sites=sites, is_admin=user.is_admin
    )
