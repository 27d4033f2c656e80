"""Batch imports: their state, progress and problems."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from meterhub.core.entities import Import
from meterhub.core.errors import NotFound
from meterhub.store.accounts import now_ms
from meterhub.store.tables import imports

# stored -> uploaded -> validating -> ready | invalid -> ingesting -> done | failed
STORED, UPLOADED, VALIDATING, READY, INVALID, INGESTING, DONE, FAILED = (
    "stored",
    "uploaded",
    "validating",
    "ready",
    "invalid",
    "ingesting",
    "done",
    "failed",
)


def create(conn: Connection, *, user_id: int, credential_id: int | None, name: str) -> Import:
    """A new import, waiting for its file."""
    now = now_ms()
    new_id = conn.execute(
        insert(imports)
        .values(
            user_id=user_id,
            credential_id=credential_id,
            name=name,
            status=STORED,
            created_ms=now,
            updated_ms=now,
            done=0,
            total=0,
            error_count=0,
        )
        .returning(imports.c.id)
    ).scalar_one()
    return get(conn, int(new_id))


def get(conn: Connection, import_id: int) -> Import:
    """The import with that id."""
    row = conn.execute(select(imports).where(imports.c.id == import_id)).first()
    if row is None:
        raise NotFound(f"No import with id {import_id}.")
    return Import(
        row.id,
        row.user_id,
        row.credential_id,
        row.name,
        row.status,
        row.created_ms,
        row.updated_ms,
        row.file_bytes,
        row.done,
        row.total,
        row.rows,
        row.values,
        row.error_count,
        json.loads(row.errors) if row.errors else [],
        row.message,
    )


def set_state(conn: Connection, import_id: int, status: str, **changes: Any) -> None:
    """Move the import to a status, with other columns changed (`errors` as a list)."""
    if "errors" in changes:
        changes["errors"] = json.dumps(changes["errors"]) if changes["errors"] else None
    conn.execute(
        update(imports).where(imports.c.id == import_id).values(status=status, updated_ms=now_ms(), **changes)
    )


def set_progress(conn: Connection, import_id: int, done: int) -> None:
    """Record how far the current step is."""
    conn.execute(update(imports).where(imports.c.id == import_id).values(done=done, updated_ms=now_ms()))


def remove(conn: Connection, import_id: int) -> None:
    """Forget an import."""
    conn.execute(delete(imports).where(imports.c.id == import_id))


def interrupted(conn: Connection) -> list[Import]:
    """Imports whose background step was running when the server stopped."""
    rows = conn.execute(select(imports.c.id).where(imports.c.status.in_((VALIDATING, INGESTING))))
    return [get(conn, r.id) for r in rows]
