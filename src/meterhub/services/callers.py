"""Who calls, and whether they may use a site's meters: the principal behind a request's
credentials, and the check every use case of a site's meters makes, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from meterhub.auth import credentials, keys
from meterhub.auth.access import Access, Principal, allowed, require_meters
from meterhub.core.entities import Site
from meterhub.core.errors import NotFound
from meterhub.store import accounts, meters

if TYPE_CHECKING:
    from meterhub.platform import Platform


def authenticate_key(platform: Platform, *, key: str) -> keys.Authenticated:
    """The principal behind an API key, with the site it is bound to; Unauthorized when it is
    unknown, revoked or expired."""
    with platform.db.reader.connect() as conn:
        return keys.authenticate(conn, key)


def check(
    platform: Platform, *, caller: Principal, site_id: int, needed: Access, conn: Connection | None = None
) -> None:
    """Raise Forbidden unless the caller may use the site's meters at the needed level. Their
    dataset is looked up (in `conn`, else in a connection of its own) only for a token limited to
    datasets: a telegram a second should not pay for it."""
    dataset_id = None
    if caller.datasets is not None:
        if conn is None:
            with platform.db.reader.connect() as own:
                dataset_id = meters.meter_dataset(own, site_id)
        else:
            dataset_id = meters.meter_dataset(conn, site_id)
    require_meters(caller, site_id=site_id, dataset_id=dataset_id, needed=needed)


def site(
    platform: Platform, *, caller: Principal, site_id: int, needed: Access, bound: Site | None = None
) -> Site:
    """The site whose meters the caller uses at the needed level (Forbidden if they may not);
    `bound` is the site their key was read with, which saves looking it up."""
    if bound is not None and bound.id == site_id:
        check(platform, caller=caller, site_id=site_id, needed=needed)
        return bound
    with platform.db.reader.connect() as conn:
        check(platform, caller=caller, site_id=site_id, needed=needed, conn=conn)
        return accounts.get_site(conn, site_id)


@contextmanager
def reading(platform: Platform, *, caller: Principal, site_id: int) -> Iterator[Connection]:
    """A connection to read the site's meters in, once the caller may."""
    with platform.db.reader.connect() as conn:
        check(platform, caller=caller, site_id=site_id, needed=Access.READ, conn=conn)
        yield conn


def signed_in(platform: Platform, *, given: credentials.Presented, address: str) -> Principal:
    """The principal behind a password, session token or key; Unauthorized when they are wrong,
    RateLimited after too many failed logins from the address."""
    with platform.db.reader.connect() as conn:
        return credentials.principal(
            conn, given, sessions=platform.sessions, login_limits=platform.login_limits, address=address
        )


def visible_site(
    conn: Connection,
    *,
    caller: Principal,
    site_id: int,
    dataset_id: int | None = None,
    licensed: bool = False,
) -> Site:
    """The site, when the caller may read it (with `licensed`, that dataset of it); NotFound for a
    site they may not read as for one that does not exist, so that ids tell nothing."""
    if not allowed(caller, site_id=site_id, needed=Access.READ, dataset_id=dataset_id, licensed=licensed):
        raise NotFound(f"no site with id {site_id}")
    try:
        return accounts.get_site(conn, site_id)
    except NotFound:
        raise NotFound(f"no site with id {site_id}") from None
