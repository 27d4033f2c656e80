"""Signing in with a user's email and password."""

from __future__ import annotations

from sqlalchemy import Connection

from meterhub.auth.access import Access, Principal
from meterhub.auth.keys import SCOPES
from meterhub.auth.passwords import hash_password, verify_password
from meterhub.core.errors import NotFound, Unauthorized
from meterhub.store import accounts

# Checked against when the email is unknown, so that the answer takes as long as for a wrong password.
_NOBODY = hash_password("not a password of anyone")


def login(conn: Connection, email: str, password: str) -> Principal:
    """The user's principal (every scope, their sites); Unauthorized if email or password is wrong."""
    try:
        user = accounts.get_user(conn, email=email)
    except NotFound:
        verify_password(_NOBODY, password)
        raise Unauthorized("wrong email or password") from None
    if not verify_password(user.password_hash, password):
        raise Unauthorized("wrong email or password")
    sites = {site: Access[level.upper()] for site, level in accounts.memberships(conn, user.id).items()}
    return Principal(
        user_id=user.id, credential_id=None, scopes=frozenset(SCOPES), sites=sites, is_admin=user.is_admin
    )
