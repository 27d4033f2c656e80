"""API tokens: issued (shown once), listed, licensed for datasets, renamed and revoked.

A token makes, changes and revokes tokens only within its own limits (`auth.access.require_within`):
one it could not have made itself is, to it, a token that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from meterhub.auth import keys
from meterhub.auth.access import Access, Principal, require_dataset, require_site, require_within
from meterhub.core.entities import Credential
from meterhub.core.errors import Forbidden, Invalid, NotFound
from meterhub.services.broker import access_changed
from meterhub.store import accounts, datasets

if TYPE_CHECKING:
    from meterhub.mqtt.broker_accounts import BrokerAccounts
    from meterhub.platform import Platform


@dataclass(frozen=True)
class Token:
    credential: Credential
    # The datasets it is licensed for (energydata.dk's licences); empty: every dataset of its sites.
    datasets: list[int]


@dataclass(frozen=True)
class IssuedToken(Token):
    # The secret, shown this once: only its digest is kept.
    token: str


def issue(
    conn: Connection,
    *,
    caller: Principal | None,
    broker: BrokerAccounts | None,
    user_id: int,
    site_id: int | None,
    scopes: Sequence[str],
    name: str,
    expires_days: int | None,
    datasets: Sequence[int],
) -> IssuedToken:
    """Issue a token in the given transaction, for the management API (within the limits of its
    `caller`) and the CLI (no caller: the operator, who checked the user, site and datasets exist).
    With an external broker the token becomes its client in the same transaction, so that a token
    the broker refused is not issued either."""
    unknown = set(scopes) - set(keys.SCOPES)
    if unknown or not scopes:
        raise Invalid(f"permissions are some of {', '.join(keys.SCOPES)}; not {sorted(unknown)}")
    expires_ms = keys.expires_after(expires_days)
    if caller is not None:
        require_within(caller, scopes=scopes, site_id=site_id, datasets=datasets)
        if site_id is not None:
            require_site(caller, site_id, Access.READ)
        _may_license(conn, caller, datasets)
    key_id, key = keys.issue_key(
        conn,
        user_id=user_id,
        site_id=site_id,
        scopes=scopes,
        name=name,
        expires_ms=expires_ms,
        datasets=datasets,
    )
    if broker is not None:
        broker.issued(conn, key)
    (created,) = [c for c in accounts.list_credentials(conn, user_id=user_id) if c.id == key_id]
    return IssuedToken(created, sorted(set(datasets)), key)


def issue_token(
    platform: Platform,
    *,
    caller: Principal,
    name: str,
    scopes: Sequence[str],
    datasets: Sequence[int],
    site_id: int | None,
    expires_days: int | None,
) -> IssuedToken:
    """A new token of the caller's, within the caller's own limits."""
    with platform.db.writer.begin() as conn:
        return issue(
            conn,
            caller=caller,
            broker=platform.broker_accounts,
            user_id=caller.user_id,
            site_id=site_id,
            scopes=scopes,
            name=name,
            expires_days=expires_days,
            datasets=datasets,
        )


def list_tokens(platform: Platform, *, caller: Principal) -> list[Token]:
    """The caller's tokens and keys (never the secrets) that lie within its limits."""
    with platform.db.reader.connect() as conn:
        found = accounts.list_credentials(conn, user_id=caller.user_id)
        licensed = accounts.licensed_datasets(conn, [c.id for c in found])
    tokens = [Token(c, licensed.get(c.id, [])) for c in found]
    return [t for t in tokens if _within(caller, t)]


def change_token(
    platform: Platform,
    *,
    caller: Principal,
    token_id: int,
    name: str | None = None,
    datasets: Sequence[int] | None = None,
) -> Token:
    """Rename one of the caller's tokens, or license it for other datasets (none: all)."""
    with platform.db.writer.begin() as conn:
        found = _own(conn, caller, token_id)
        if datasets is not None:
            require_within(
                caller, scopes=found.credential.scopes, site_id=found.credential.site_id, datasets=datasets
            )
            _may_license(conn, caller, datasets)
            accounts.license_datasets(conn, credential_id=token_id, dataset_ids=datasets)
        if name is not None:
            accounts.rename_credential(conn, credential_id=token_id, name=name)
        changed = _own(conn, caller, token_id)
    access_changed(platform)
    return changed


def revoke_token(platform: Platform, *, caller: Principal, token_id: int) -> None:
    """Revoke one of the caller's tokens at once."""
    with platform.db.writer.begin() as conn:
        _own(conn, caller, token_id)
        accounts.revoke_credential(conn, credential_id=token_id)
    access_changed(platform)


def _own(conn: Connection, who: Principal, token_id: int) -> Token:
    """One of the caller's own tokens within its limits; NotFound for anyone else's, and for the
    user's tokens that reach further than the calling one (it may not know them)."""
    found = [c for c in accounts.list_credentials(conn, user_id=who.user_id) if c.id == token_id]
    licensed = accounts.licensed_datasets(conn, [token_id]).get(token_id, [])
    if not found or not _within(who, token := Token(found[0], licensed)):
        raise NotFound(f"You have no token with id {token_id}")
    return token


def _within(who: Principal, token: Token) -> bool:
    try:
        require_within(
            who, scopes=token.credential.scopes, site_id=token.credential.site_id, datasets=token.datasets
        )
    except Forbidden:
        return False
    return True


def _may_license(conn: Connection, who: Principal, dataset_ids: Sequence[int]) -> None:
    """A token may be licensed only for datasets its owner can read."""
    for dataset_id in dataset_ids:
        found = datasets.get_dataset(conn, dataset_id)
        require_dataset(who, site_id=found.site_id, dataset_id=found.id, needed=Access.READ)
