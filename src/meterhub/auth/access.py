"""Who is calling and what they may touch: the one place every read and write is checked."""

from __future__ import annotations

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


def require_site(principal: Principal, site_id: int, needed: Access) -> None:
    """Raise Forbidden unless the principal may act on the site at the needed level."""
    granted = principal.sites.get(site_id)
    if principal.is_admin and needed is not Access.ADMIN:
        return
    if granted is None or granted < needed:
        raise Forbidden("this key may not access that site")


def require_dataset(principal: Principal, *, site_id: int, dataset_id: int, needed: Access) -> None:
    """Raise Forbidden unless the principal may act on the dataset (of that site) at the needed level."""
    require_site(principal, site_id, needed)
    if principal.datasets is not None and dataset_id not in principal.datasets and not principal.is_admin:
        raise Forbidden(f"this token is not licensed for dataset {dataset_id}")


def require_scope(principal: Principal, scope: str) -> None:
    """Raise Forbidden unless the credential carries the scope."""
    if scope not in principal.scopes and "admin" not in principal.scopes:
        raise Forbidden(f"this key lacks the '{scope}' permission")
