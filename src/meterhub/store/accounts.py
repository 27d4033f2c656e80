"""Users, credentials, sites and memberships."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Table, delete, func, insert, select, text, update

from meterhub.core.entities import Credential, Site, User
from meterhub.core.errors import Conflict, Invalid, NotFound
from meterhub.store import raw
from meterhub.store.tables import (
    credential_datasets,
    credentials,
    meter_statistics,
    site_members,
    sites,
    users,
)


def now_ms() -> int:
    """The current time in UTC milliseconds."""
    return time.time_ns() // 1_000_000


def add_user(
    conn: Connection, *, email: str, password_hash: str, name: str = "", is_admin: bool = False
) -> int:
    """Create a user; the email must be new."""
    if conn.execute(select(users.c.id).where(func.lower(users.c.email) == email.lower())).first():
        raise Conflict(f"a user with email {email} exists already")
    return int(
        conn.execute(
            insert(users)
            .values(
                email=email, password_hash=password_hash, name=name, is_admin=is_admin, created_ms=now_ms()
            )
            .returning(users.c.id)
        ).scalar_one()
    )


def get_user(conn: Connection, *, email: str) -> User:
    """The user with that email."""
    row = conn.execute(select(users).where(func.lower(users.c.email) == email.lower())).first()
    if row is None:
        raise NotFound(f"no user with email {email}")
    return User(row.id, row.email, row.name, row.is_admin, row.password_hash)


def list_users(conn: Connection) -> list[User]:
    """Every user."""
    return [
        User(r.id, r.email, r.name, r.is_admin, r.password_hash)
        for r in conn.execute(select(users).order_by(users.c.id))
    ]


def set_password(conn: Connection, *, user_id: int, password_hash: str) -> None:
    """Replace a user's password hash."""
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def count_users(conn: Connection) -> int:
    """How many users exist."""
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def count_users_alone(conn: Connection) -> int:
    """How many users exist, with every other caller of this waiting until the transaction ends:
    servers starting at once on one empty PostgreSQL database set it up once. (A SQLite writer's
    transaction is BEGIN IMMEDIATE, alone already.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('meterhub first start'))"))
    return count_users(conn)


def add_site(conn: Connection, *, name: str, timezone: str, owner_id: int) -> int:
    """Create a site owned by the user."""
    site_id = int(
        conn.execute(
            insert(sites)
            .values(name=name, timezone=timezone, api_enabled=True, created_ms=now_ms())
            .returning(sites.c.id)
        ).scalar_one()
    )
    conn.execute(insert(site_members).values(site_id=site_id, user_id=owner_id, access="admin"))
    conn.execute(insert(meter_statistics).values(site_id=site_id, rejected_telegrams=0))
    return site_id


def _site(
    site_id: int,
    name: str,
    timezone: str,
    api_enabled: object,
    address: str,
    latitude: float | None,
    longitude: float | None,
    tags: str,
) -> Site:
    return Site(
        site_id, name, timezone, bool(api_enabled), address, latitude, longitude, tuple(json.loads(tags))
    )


_SITE_COLUMNS = (
    sites.c.id,
    sites.c.name,
    sites.c.timezone,
    sites.c.api_enabled,
    sites.c.address,
    sites.c.latitude,
    sites.c.longitude,
    sites.c.tags,
)


def get_site(conn: Connection, site_id: int) -> Site:
    """The site with that id."""
    row = conn.execute(select(*_SITE_COLUMNS).where(sites.c.id == site_id)).first()
    if row is None:
        raise NotFound(f"no site with id {site_id}")
    return _site(*row)


def list_sites(conn: Connection) -> list[Site]:
    """Every site."""
    return [_site(*r) for r in conn.execute(select(*_SITE_COLUMNS).order_by(sites.c.id))]


def update_row(conn: Connection, table: Table, row_id: int, changes: Mapping[str, object]) -> None:
    """Set the row's columns that have a value in changes (None: the column stays)."""
    given = {column: value for column, value in changes.items() if value is not None}
    if given:
        conn.execute(update(table).where(table.c.id == row_id).values(**given))


def _degrees(value: float | None, limit: int, what: str) -> float | None:
    if value is not None and not (math.isfinite(value) and -limit <= value <= limit):
        raise Invalid(f"{what} {value} is not between -{limit} and {limit} degrees")
    return value


def set_site_details(
    conn: Connection,
    *,
    site_id: int,
    address: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    tags: Sequence[str] | None = None,
) -> Site:
    """Change where a site is and what it is labelled with; what is not given stays."""
    get_site(conn, site_id)
    changes = {
        "address": None if address is None else address.strip(),
        "latitude": _degrees(latitude, 90, "latitude"),
        "longitude": _degrees(longitude, 180, "longitude"),
        # Once each, in the order given: a label twice says nothing more.
        "tags": None
        if tags is None
        else json.dumps(list(dict.fromkeys(t.strip() for t in tags if t.strip()))),
    }
    update_row(conn, sites, site_id, changes)
    return get_site(conn, site_id)


def set_site_api(conn: Connection, *, site_id: int, enabled: bool) -> None:
    """Switch the DSMR-reader API of a site on or off."""
    get_site(conn, site_id)
    conn.execute(update(sites).where(sites.c.id == site_id).values(api_enabled=enabled))


def memberships(conn: Connection, user_id: int) -> dict[int, str]:
    """Site id -> access level for the user."""
    return {
        r.site_id: r.access
        for r in conn.execute(select(site_members).where(site_members.c.user_id == user_id))
    }


def add_member(conn: Connection, *, site_id: int, user_id: int, access: str) -> None:
    """Give a user access to a site (or change the access they have)."""
    conn.execute(
        delete(site_members).where(site_members.c.site_id == site_id, site_members.c.user_id == user_id)
    )
    conn.execute(insert(site_members).values(site_id=site_id, user_id=user_id, access=access))


def add_credential(
    conn: Connection,
    *,
    user_id: int,
    kind: str,
    secret_digest: str,
    hint: str,
    scopes: Sequence[str],
    site_id: int | None,
    name: str = "",
    expires_ms: int | None = None,
) -> int:
    """Store a new credential (its digest only)."""
    return int(
        conn.execute(
            insert(credentials)
            .values(
                user_id=user_id,
                kind=kind,
                name=name,
                secret_hash=secret_digest,
                hint=hint,
                scopes=",".join(sorted(scopes)),
                site_id=site_id,
                expires_ms=expires_ms,
                created_ms=now_ms(),
            )
            .returning(credentials.c.id)
        ).scalar_one()
    )


def _credential(r: Row[*tuple[Any, ...]]) -> Credential:
    return Credential(
        r.id,
        r.user_id,
        r.kind,
        r.name,
        r.hint,
        frozenset(filter(None, r.scopes.split(","))),
        r.site_id,
        r.expires_ms,
        r.revoked_ms,
        r.created_ms,
    )


@dataclass(frozen=True)
class KeyHolder:
    """A credential with its owner's site access and the site it is bound to, read in one go."""

    credential: Credential
    stored_digest: str
    access: dict[int, str]
    site: Site | None
    # The datasets the credential is licensed for; None when it is not limited to some.
    datasets: frozenset[int] | None


_LISTED = {"sqlite": "group_concat(dataset_id)", "postgresql": "string_agg(dataset_id::text, ',')"}


def key_holder(conn: Connection, secret_digest: str) -> KeyHolder | None:
    """Everything needed to authorise a request made with the key of that digest."""
    found = raw.rows(
        conn,
        "SELECT c.id, c.user_id, c.kind, c.name, c.hint, c.scopes, c.site_id, c.expires_ms, c.revoked_ms, "
        "c.created_ms, c.secret_hash, m.site_id, m.access, s.name, s.timezone, s.api_enabled, "
        f"(SELECT {_LISTED[conn.dialect.name]} FROM credential_datasets WHERE credential_id = c.id), "
        "s.address, s.latitude, s.longitude, s.tags "
        "FROM credentials c LEFT JOIN site_members m ON m.user_id = c.user_id "
        "LEFT JOIN sites s ON s.id = c.site_id WHERE c.secret_hash = ?",
        (secret_digest,),
    )
    if not found:
        return None
    r = found[0]
    credential = Credential(
        r[0], r[1], r[2], r[3], r[4], frozenset(filter(None, r[5].split(","))), r[6], r[7], r[8], r[9]
    )
    site = _site(r[6], r[13], r[14], r[15], *r[17:21]) if r[6] is not None and r[13] is not None else None
    licensed = frozenset(int(i) for i in r[16].split(",")) if r[16] else None
    access = {row[11]: row[12] for row in found if row[11] is not None}
    return KeyHolder(credential, r[10], access, site, licensed)


def license_datasets(conn: Connection, *, credential_id: int, dataset_ids: Iterable[int]) -> None:
    """Limit a credential to these datasets (energydata.dk's licences); none: no limit."""
    conn.execute(delete(credential_datasets).where(credential_datasets.c.credential_id == credential_id))
    rows = [{"credential_id": credential_id, "dataset_id": d} for d in sorted(set(dataset_ids))]
    if rows:
        conn.execute(insert(credential_datasets), rows)


def licensed_datasets(conn: Connection, credential_ids: Iterable[int]) -> dict[int, list[int]]:
    """Credential id -> the datasets it is limited to (absent when it is not limited)."""
    ids = list(credential_ids)
    if not ids:
        return {}
    out: dict[int, list[int]] = {}
    query = select(credential_datasets).where(credential_datasets.c.credential_id.in_(ids))
    for row in conn.execute(query.order_by(credential_datasets.c.dataset_id)):
        out.setdefault(row.credential_id, []).append(row.dataset_id)
    return out


def list_credentials(conn: Connection, *, user_id: int | None = None) -> list[Credential]:
    """Credentials, newest last."""
    query = select(credentials).order_by(credentials.c.id)
    if user_id is not None:
        query = query.where(credentials.c.user_id == user_id)
    return [_credential(r) for r in conn.execute(query)]


def usable_credentials(conn: Connection, credential_ids: Iterable[int]) -> set[int]:
    """Those of the credentials that are neither revoked nor expired."""
    ids = list(credential_ids)
    if not ids:
        return set()
    rows = conn.execute(
        select(credentials.c.id).where(
            credentials.c.id.in_(ids),
            credentials.c.revoked_ms.is_(None),
            (credentials.c.expires_ms.is_(None)) | (credentials.c.expires_ms > now_ms()),
        )
    )
    return {r[0] for r in rows}


def rename_credential(conn: Connection, *, credential_id: int, name: str) -> None:
    """Give a credential another name."""
    conn.execute(update(credentials).where(credentials.c.id == credential_id).values(name=name))


def revoke_credential(conn: Connection, *, credential_id: int) -> None:
    """Revoke a credential; it stops working on its next use."""
    done = conn.execute(
        update(credentials)
        .where(credentials.c.id == credential_id, credentials.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms())
    )
    if done.rowcount == 0:
        raise NotFound(f"no active key with id {credential_id}")
