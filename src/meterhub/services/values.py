"""Datastream values as stored: the latest, or every one in a time span, a page at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from meterhub.auth.access import Access, Principal, require_dataset
from meterhub.core.entities import Datastream
from meterhub.core.errors import Forbidden, NotFound
from meterhub.store import datasets, values

if TYPE_CHECKING:
    from meterhub.platform import Platform

# One page: (ts in UTC ms, stored value) pairs, oldest first.
Page = list[tuple[int, Any]]


def datastream_values(
    platform: Platform, *, caller: Principal, ids: Sequence[int], span: tuple[int, int] | None
) -> Iterator[tuple[Datastream, Page]]:
    """The values of the streams, stream by stream in the order asked: the latest of each (span
    None), or those from span[0] to span[1] ms, both included. The streams are looked up and the
    caller's access checked at once (NotFound, Forbidden); the values are read as they are taken,
    on a connection held until the last page has gone (a response can stream them from a thread)."""
    with platform.db.reader.connect() as conn:
        found = {s.id: s for s in datasets.get_streams(conn, ids)}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise NotFound(f"No datastream with id {', '.join(map(str, unknown))}.")
    streams = [found[i] for i in ids]
    for stream in streams:
        try:
            require_dataset(caller, site_id=stream.site_id, dataset_id=stream.dataset_id, needed=Access.READ)
        except Forbidden as exc:
            raise Forbidden(f"This token may not read datastream {stream.id}: {exc}.") from None
    return _pages(platform, streams, span)


def _pages(
    platform: Platform, streams: list[Datastream], span: tuple[int, int] | None
) -> Iterator[tuple[Datastream, Page]]:
    with platform.db.reader.connect() as conn, values.scanning(conn):
        for stream in streams:
            family = stream.datatype.family
            if span is None:
                point = values.latest(conn, stream.id, family)
                if point is not None:
                    yield stream, [point]
                continue
            for page in values.pages(conn, stream.id, family, *span):
                yield stream, page
