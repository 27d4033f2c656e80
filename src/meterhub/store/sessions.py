"""Login sessions: those issued and not signed out, by the digest of their token's id."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from meterhub.core.entities import User
from meterhub.store.tables import sessions, users


def add_session(conn: Connection, *, jti_digest: str, user_id: int, created_ms: int, expires_ms: int) -> None:
    """Keep a session just issued, and forget the user's sessions that have expired (a user's
    stale rows go at their next login, so the table holds about the sessions in use)."""
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id, sessions.c.expires_ms <= created_ms))
    conn.execute(
        insert(sessions).values(
            jti_hash=jti_digest, user_id=user_id, created_ms=created_ms, expires_ms=expires_ms
        )
    )


def session_user(conn: Connection, *, jti_digest: str, now_ms: int) -> User | None:
    """The user of a live session (one primary-key lookup); None when it was signed out, has
    expired or never was."""
    row = conn.execute(
        select(users)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.jti_hash == jti_digest, sessions.c.expires_ms > now_ms)
    ).first()
    return None if row is None else User(row.id, row.email, row.name, row.is_admin, row.password_hash)


def end_session(conn: Connection, *, jti_digest: str) -> bool:
    """Forget a session (sign out); whether there was one."""
    return bool(conn.execute(delete(sessions).where(sessions.c.jti_hash == jti_digest)).rowcount)
