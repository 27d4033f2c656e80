"""A site's energy per period and flow (from the grid, to it, produced, into and out of the
battery, consumed), summed from the aggregates of whichever streams play the flow's roles."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypedDict, TypeVar, Unpack

from sqlalchemy import Connection

from meterhub.auth.access import Access, Principal, allowed
from meterhub.core.roles import ROLES, Flow, flow_counters
from meterhub.services import callers
from meterhub.store import datasets, series

if TYPE_CHECKING:
    from meterhub.platform import Platform

K = TypeVar("K", bound=Hashable)


class Paging(TypedDict, total=False):
    """Which page of the periods: newest first or oldest, how many, from which on."""

    descending: bool
    limit: int | None
    offset: int


@dataclass(frozen=True)
class Sums(Generic[K]):
    """One period's energy per key (a role, a flow): the deltas of its streams, in their stored
    units (Wh for every flow), and the part of each spread from readings over an hour apart."""

    start_ms: int
    energy: dict[K, int]
    estimated: dict[K, int]


def sums_per_period(
    conn: Connection,
    groups: Sequence[Sequence[int]],
    level: int,
    lo: int,
    hi: int,
    *,
    estimated: bool = False,
    **paging: Unpack[Paging],
) -> tuple[int, list[tuple[int, list[int], list[int]]]]:
    """How many buckets of the level starting in [lo, hi] any of the streams has, and one page of
    (bucket start, each group's energy, each group's estimated part if asked for, else none). The positional
    form, for the hour and day lists that read every row (a dict per row costs a fifth of them)."""
    total = series.count_buckets(conn, [sid for ids in groups for sid in ids], level, lo, hi)
    return total, series.delta_sums(conn, groups, level, lo, hi, estimated=estimated, **paging)


def per_period(
    conn: Connection,
    groups: Mapping[K, Sequence[int]],
    level: int,
    lo: int,
    hi: int,
    *,
    estimated: bool = False,
    **paging: Unpack[Paging],
) -> tuple[int, list[Sums[K]]]:
    """sums_per_period by key (a role, a flow)."""
    keys = list(groups)
    total, page = sums_per_period(
        conn, [groups[k] for k in keys], level, lo, hi, estimated=estimated, **paging
    )
    return total, [
        Sums(
            bucket,
            dict(zip(keys, sums, strict=True)),
            dict(zip(keys, guessed or [0] * len(keys), strict=True)),
        )
        for bucket, sums, guessed in page
    ]


def flows(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    level: int,
    lo: int,
    hi: int,
    flows: Sequence[Flow] = tuple(Flow),
    **paging: Unpack[Paging],
) -> tuple[int, list[Sums[Flow]]]:
    """A site's energy (Wh) per bucket of the level (quarter hours, local hours or days) and flow,
    for one who may read it; an unknown site for anyone else. A token licensed for some datasets
    counts only their streams."""
    with platform.db.reader.connect() as conn:
        callers.visible_site(conn, caller=caller, site_id=site_id)
        found = datasets.role_streams(conn, site_id, [r for flow in flows for r in flow_counters(flow)])
        readable = {
            s.dataset_id
            for s in found
            if allowed(caller, site_id=site_id, needed=Access.READ, dataset_id=s.dataset_id, licensed=True)
        }
        groups = {
            flow: [s.id for s in found if s.dataset_id in readable and ROLES[str(s.role)].flow is flow]
            for flow in flows
        }
        return per_period(conn, groups, level, lo, hi, estimated=True, **paging)
