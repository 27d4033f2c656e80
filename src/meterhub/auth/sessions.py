"""Login sessions: a signed, short-lived token (a JWT) for a user who signed in with their password.

One algorithm only, HS256, with a key derived from the server's secret: decoding accepts no other
(`alg: none` and HS512 tokens are refused) and requires exp, iat, jti and sub. Every session issued
is kept in the database (table `sessions`, by the digest of its jti) until it is signed out: a token
is good only while its row is there, so signing out is refused at once by every server on the
database, and deleting a user ends their sessions.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from secrets import token_urlsafe

import jwt
from sqlalchemy import Connection

from meterhub.auth import secrets
from meterhub.auth.access import Principal
from meterhub.auth.login_limits import LoginLimits
from meterhub.auth.logins import login, user_principal
from meterhub.auth.rate_limits import RateLimits, Window
from meterhub.core.buckets import to_ms
from meterhub.core.errors import Unauthorized
from meterhub.store import sessions as stored
from meterhub.store.accounts import now_ms
from meterhub.store.db import Database

ALGORITHM = "HS256"
CLAIMS = ("exp", "iat", "jti", "sub")
# The signing key is the server's secret put through HMAC with this label, so that a session
# token's key is never the one that signs upload URLs, whatever the secret is (a short configured
# METERHUB_SECRET_KEY still gives a full 32-byte key).
_LABEL = b"meterhub login sessions v1"


def signing_key(secret: bytes) -> bytes:
    """The key session tokens are signed with, from the server's secret."""
    return hmac.new(secret, _LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: datetime


class Sessions:
    """Signing in for a session, using one, signing out: what every face with logins shares."""

    def __init__(
        self,
        db: Database,
        *,
        secret: bytes,
        lifetime_s: int,
        remember_s: int,
        login_limits: LoginLimits,
        rate_limits: RateLimits,
        logins_per_address: str,
    ) -> None:
        self._db = db
        self._key = signing_key(secret)
        self._lifetime = timedelta(seconds=lifetime_s)
        self._remember = timedelta(seconds=remember_s)
        self._login_limits = login_limits
        self._rate_limits = rate_limits
        self._per_address = Window("session-logins", logins_per_address)

    def log_in(
        self, *, email: str, password: str, address: str, remember: bool = False, now: datetime | None = None
    ) -> Issued:
        """A new session for the user; Unauthorized for a wrong email or password, RateLimited
        after too many logins from the address (or failed ones for the account)."""
        self._rate_limits.check(self._per_address, address)
        # The password is checked on a reading connection: its argon2 hash takes a while, and no
        # write transaction (SQLite's one writer) may wait on it.
        with self._db.reader.connect() as conn:
            user_id = login(conn, email, password, limits=self._login_limits, address=address).user_id
        issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
        expires_at = issued_at + (self._remember if remember else self._lifetime)
        jti = token_urlsafe(16)
        claims = {"sub": str(user_id), "iat": issued_at, "exp": expires_at, "jti": jti}
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        with self._db.writer.begin() as conn:
            stored.add_session(
                conn,
                jti_digest=secrets.digest(jti),
                user_id=user_id,
                created_ms=to_ms(issued_at),
                expires_ms=to_ms(expires_at),
            )
        return Issued(token, expires_at)

    def principal(self, conn: Connection, token: str) -> Principal:
        """The signed-in user's principal; Unauthorized for a token that is not signed by this
        server, has expired or was signed out."""
        jti, user_id = self._claims(token)
        user = stored.session_user(conn, jti_digest=secrets.digest(jti), now_ms=now_ms())
        if user is None or user.id != user_id:
            raise Unauthorized("Invalid session", reason=f"a session of user {user_id} that was signed out")
        return user_principal(conn, user)

    def log_out(self, token: str) -> None:
        """End the session at once; Unauthorized for a token that is no (longer a) session."""
        jti, user_id = self._claims(token)
        with self._db.writer.begin() as conn:
            if not stored.end_session(conn, jti_digest=secrets.digest(jti)):
                raise Unauthorized(
                    "Invalid session", reason=f"a session of user {user_id} signed out already"
                )

    def _claims(self, token: str) -> tuple[str, int]:
        """The session id and user id of a token signed by this server and not expired."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], options={"require": list(CLAIMS)})
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("Invalid session", reason=f"a session token refused: {exc}") from None
        jti, sub = claims["jti"], claims["sub"]
        if not (isinstance(jti, str) and isinstance(sub, str) and sub.isascii() and sub.isdigit()):
            raise Unauthorized("Invalid session", reason="a session token with a malformed jti or sub")
        return jti, int(sub)
