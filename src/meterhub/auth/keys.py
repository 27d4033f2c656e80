"""Issuing API keys and turning a presented key into a Principal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from meterhub.auth import secrets
from meterhub.auth.access import Access, Principal
from meterhub.core.buckets import to_ms
from meterhub.core.entities import Site
from meterhub.core.errors import Invalid, Unauthorized
from meterhub.store import accounts

SCOPES = ("read", "write", "mqtt-pubsub", "batch-import", "admin")
# Past this, an expiry would lie beyond the year 9999 that dates can hold.
MAX_EXPIRES_DAYS = 2_000_000


def expires_after(days: int | None) -> int | None:
    """The expiry (UTC ms) of a key valid for that many days from now; None: it never expires."""
    if days is None:
        return None
    if not 1 <= days <= MAX_EXPIRES_DAYS:
        raise Invalid(f"a key is valid for 1 to {MAX_EXPIRES_DAYS:,} days, not {days}", field="expires_days")
    return to_ms(datetime.now(UTC) + timedelta(days=days))


def issue_key(
    conn: Connection,
    *,
    user_id: int,
    site_id: int | None,
    scopes: Sequence[str] = ("read", "write"),
    name: str = "",
    expires_ms: int | None = None,
    datasets: Sequence[int] = (),
) -> tuple[int, str]:
    """Create an API key (or token); returns its id and the key itself, which is never stored.

    `datasets` limits it to those datasets (energydata.dk's licences); none: all of its sites'.
    """
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s) {sorted(unknown)}; choose from {', '.join(SCOPES)}")
    key = secrets.new_key()
    key_id = accounts.add_credential(
        conn,
        user_id=user_id,
        kind="api_key",
        secret_digest=secrets.digest(key),
        hint=key[:4],
        scopes=scopes,
        site_id=site_id,
        name=name,
        expires_ms=expires_ms,
    )
    accounts.license_datasets(conn, credential_id=key_id, dataset_ids=datasets)
    return key_id, key


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    # The site the key is bound to, read along with the key (None for a key of the whole account).
    site: Site | None


def authenticate(conn: Connection, key: str) -> Authenticated:
    """The principal behind a presented key; Unauthorized when it is unknown, revoked or expired."""
    presented = secrets.digest(key)
    holder = accounts.key_holder(conn, presented) if key else None
    if holder is None or not secrets.same_digest(holder.stored_digest, presented):
        raise Unauthorized("Invalid auth key", reason="an unknown key" if key else "no key")
    cred = holder.credential
    if cred.revoked_ms is not None:
        raise Unauthorized("Invalid auth key", reason=f"key {cred.id} is revoked")
    if cred.expires_ms is not None and cred.expires_ms <= accounts.now_ms():
        raise Unauthorized("Invalid auth key", reason=f"key {cred.id} has expired")
    granted = {site: Access[level.upper()] for site, level in holder.access.items()}
    # A key bound to a site sees only that site, whatever else its owner may access.
    if cred.site_id is not None:
        granted = {cred.site_id: granted[cred.site_id]} if cred.site_id in granted else {}
    principal = Principal(
        user_id=cred.user_id,
        credential_id=cred.id,
        scopes=cred.scopes,
        sites=granted,
        default_site_id=cred.site_id,
        datasets=holder.datasets,
    )
    return Authenticated(principal, holder.site)
