"""Who is calling and what they may touch: the one place every read and write is checked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from meterhub.core.errors import Forbidden


class Access(IntEnum):
    READ = 1
    WRITE = 2
    ADMIN = 3


@dataclass(frozen=True)
class Principal:
    user_id: int
    credential_id: int | None
    scopes: frozenset[str]
    # Access level per site id, as granted by membership when the credential was checked.
    sites: dict[int, Access]
    default_site_id: int | None = None
    is_admin: bool = False
    # The datasets a token is licensed for (energydata.dk); None: every dataset of its sites.
    datasets: frozenset[int] | None = None


def refusal(
    principal: Principal,
    *,
    site_id: int,
    needed: Access,
    dataset_id: int | None = None,
    licensed: bool = False,
) -> str | None:
    """Why the principal may not act on the site at the needed level (with `licensed`, on that
    dataset of it, None for the site's meters before its first meter); None when it may. The one
    decision every check of a site or dataset comes down to."""
    granted = principal.sites.get(site_id)
    # An admin may do anything, and bypasses licences, but administer a site it is no admin member of.
    if principal.is_admin and (needed is not Access.ADMIN or granted is Access.ADMIN):
        return None
    if granted is None or granted < needed:
        return "this key may not access that site"
    if licensed and principal.datasets is not None and dataset_id not in principal.datasets:
        what = f"dataset {dataset_id}" if dataset_id is not None else "the site's meters"
        return f"this token is not licensed for {what}, only for datasets {sorted(principal.datasets)}"
    return None


def allowed(
    principal: Principal,
    *,
    site_id: int,
    needed: Access,
    dataset_id: int | None = None,
    licensed: bool = False,
) -> bool:
    """Whether the principal may act on the site (and dataset) at the needed level: `refusal`'s yes."""
    return (
        refusal(principal, site_id=site_id, needed=needed, dataset_id=dataset_id, licensed=licensed) is None
    )


def require_site(principal: Principal, site_id: int, needed: Access) -> None:
    """Raise Forbidden unless the principal may act on the site at the needed level."""
    if (why := refusal(principal, site_id=site_id, needed=needed)) is not None:
        raise Forbidden(why)


def require_dataset(principal: Principal, *, site_id: int, dataset_id: int | None, needed: Access) -> None:
    """Raise Forbidden unless the principal may act on the dataset (of that site) at the needed level.

    Every face asks this of every stream it touches: a site's meters are the site's own dataset
    (None while it has no meter yet, which no licence names)."""
    why = refusal(principal, site_id=site_id, needed=needed, dataset_id=dataset_id, licensed=True)
    if why is not None:
        raise Forbidden(why)


def require_within(
    principal: Principal, *, scopes: Iterable[str], site_id: int | None, datasets: Iterable[int]
) -> None:
    """Raise Forbidden unless a token with these limits could do no more than the principal: a
    token makes, changes and revokes tokens only within its own limits (a password sign-in has
    none), so that no token can widen itself or another."""
    if principal.credential_id is None:
        return
    wider = set() if "admin" in principal.scopes else set(scopes) - principal.scopes
    if wider:
        raise Forbidden(f"this token lacks the permissions {sorted(wider)}, so it cannot give them")
    if principal.default_site_id is not None and site_id != principal.default_site_id:
        raise Forbidden(
            f"this token is bound to site {principal.default_site_id}, and so is every token it makes"
        )
    asked = set(datasets)
    if principal.datasets is not None and not (asked and asked <= principal.datasets):
        raise Forbidden(
            f"this token is licensed for datasets {sorted(principal.datasets)} only; every token it makes "
            "or changes must be licensed for some of them"
        )


def require_scope(principal: Principal, scope: str) -> None:
    """Raise Forbidden unless the credential carries the scope."""
    if scope not in principal.scopes and "admin" not in principal.scopes:
        raise Forbidden(f"this key lacks the '{scope}' permission")


def require_meters(principal: Principal, *, site_id: int, dataset_id: int | None, needed: Access) -> None:
    """Raise Forbidden unless the principal may read (or, with WRITE, post to) the site's meters:
    the site at the needed level, their dataset (`meter_dataset`, None before the first meter),
    and the read or write scope."""
    require_dataset(principal, site_id=site_id, dataset_id=dataset_id, needed=needed)
    require_scope(principal, "write" if needed >= Access.WRITE else "read")
