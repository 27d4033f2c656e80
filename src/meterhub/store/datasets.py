"""Datasets and their datastreams: what energydata.dk calls them, and what MQTT topics they have.

A dataset belongs to a site and has a topic prefix; each datastream has a numeric id, a topic
suffix within its dataset, a datatype and a unit. Every meter's quantities live in its site's
own dataset (`site<id>`), so they are datastreams like any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from meterhub.core.datatypes import Datatype
from meterhub.core.entities import Dataset, Datastream
from meterhub.core.errors import Conflict, Invalid, NotFound
from meterhub.core.roles import ROLES, Kind
from meterhub.store import writes
from meterhub.store.tables import datasets, datastreams, stream_state

# "Alphanumerics", the document says, and its own examples use `my-topic-prefix`: letters, digits,
# `-` and `_` then; never MQTT's `/`, `+`, `#` or `$`.
PREFIX: Final = re.compile(r"[A-Za-z0-9_-]{1,100}")
# Empty for the dataset's one stream on the bare prefix: section 3.6's example publishes single
# values to `my-topic`, a topic with no suffix.
SUFFIX: Final = re.compile(r"(?:[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*)?")


def check_prefix(prefix: str) -> str:
    """The prefix, if it is one string of letters, digits, `-` and `_`."""
    if PREFIX.fullmatch(prefix) is None:
        raise Invalid(
            f"topic prefix {prefix!r} must be 1 to 100 letters, digits, `-` or `_` (no `/`, spaces or wildcards)"
        )
    return prefix


def check_suffix(suffix: str) -> str:
    """The suffix, if it is parts of letters, digits, `-` and `_` separated by `/` (or empty)."""
    if SUFFIX.fullmatch(suffix) is None or len(suffix) > 200:
        raise Invalid(
            f"topic suffix {suffix!r} must be parts of letters, digits, `-` or `_` separated by `/`, "
            "e.g. `my/topic/suffix` (at most 200 characters), or empty for the dataset's stream on its bare prefix"
        )
    return suffix


def add_dataset(conn: Connection, *, site_id: int, topic_prefix: str, name: str = "") -> Dataset:
    """Create a dataset in the site."""
    check_prefix(topic_prefix)
    try:
        with conn.begin_nested():
            new_id = conn.execute(
                insert(datasets)
                .values(site_id=site_id, topic_prefix=topic_prefix, name=name or topic_prefix)
                .returning(datasets.c.id)
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"the topic prefix {topic_prefix!r} is taken; choose another") from None
    return Dataset(int(new_id), site_id, topic_prefix, name or topic_prefix)


def get_dataset(conn: Connection, dataset_id: int) -> Dataset:
    """The dataset with that id."""
    row = conn.execute(select(datasets).where(datasets.c.id == dataset_id)).first()
    if row is None:
        raise NotFound(f"no dataset with id {dataset_id}")
    return Dataset(row.id, row.site_id, row.topic_prefix, row.name)


def dataset_by_prefix(conn: Connection, topic_prefix: str) -> Dataset | None:
    """The dataset with that topic prefix."""
    row = conn.execute(select(datasets).where(datasets.c.topic_prefix == topic_prefix)).first()
    return Dataset(row.id, row.site_id, row.topic_prefix, row.name) if row else None


def list_datasets(conn: Connection, site_ids: Iterable[int] | None = None) -> list[Dataset]:
    """Datasets of the sites (all when None), oldest first."""
    query = select(datasets).order_by(datasets.c.id)
    if site_ids is not None:
        query = query.where(datasets.c.site_id.in_(list(site_ids)))
    return [Dataset(r.id, r.site_id, r.topic_prefix, r.name) for r in conn.execute(query)]


def update_dataset(conn: Connection, dataset_id: int, *, name: str | None = None) -> Dataset:
    """Rename a dataset (its prefix stays: publishers and subscribers know it by that)."""
    if name is not None:
        conn.execute(update(datasets).where(datasets.c.id == dataset_id).values(name=name))
    return get_dataset(conn, dataset_id)


def delete_dataset(conn: Connection, dataset_id: int) -> None:
    """Delete a dataset with its datastreams and their points."""
    dataset = get_dataset(conn, dataset_id)
    if dataset.topic_prefix == f"site{dataset.site_id}":
        raise Conflict("this is the dataset of the site's meters; remove the meters instead")
    delete_streams(conn, [s.id for s in list_streams(conn, dataset_id)])
    conn.execute(delete(datasets).where(datasets.c.id == dataset_id))


def add_stream(
    conn: Connection,
    *,
    dataset_id: int,
    topic_suffix: str,
    datatype: Datatype,
    unit: str = "",
    kind: Kind = Kind.GAUGE,
    decimals: int = 0,
    role: str | None = None,
) -> Datastream:
    """Create a datastream in the dataset; one with a role (`pv_kwh`, say) has the role's unit,
    decimals and kind, whatever else is asked, so statistics can add it to the role's others."""
    check_suffix(topic_suffix)
    if role is not None:
        if role not in ROLES:
            raise Invalid(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
        datatype, unit, kind, decimals = (
            Datatype.FIXED,
            ROLES[role].unit,
            ROLES[role].kind,
            ROLES[role].decimals,
        )
    if datatype is Datatype.STRING and kind is Kind.COUNTER:
        raise Invalid("a string stream cannot be a counter")
    if not 0 <= decimals <= 9 or (decimals and datatype is not Datatype.FIXED):
        raise Invalid("decimals (0 to 9) apply to fixed-point streams only")
    get_dataset(conn, dataset_id)
    try:
        with conn.begin_nested():
            new_id = conn.execute(
                insert(datastreams)
                .values(
                    dataset_id=dataset_id,
                    topic_suffix=topic_suffix,
                    datatype=datatype.value,
                    unit=unit,
                    kind=kind.value,
                    decimals=decimals,
                    role=role,
                )
                .returning(datastreams.c.id)
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"the dataset already has a datastream {topic_suffix!r}") from None
    return get_streams(conn, [int(new_id)])[0]


_STREAM_COLUMNS = (
    datastreams.c.id,
    datastreams.c.dataset_id,
    datasets.c.site_id,
    datasets.c.topic_prefix,
    datastreams.c.topic_suffix,
    datastreams.c.datatype,
    datastreams.c.unit,
    datastreams.c.decimals,
    datastreams.c.kind,
    datastreams.c.meter_id,
    datastreams.c.role,
)


def _stream(r: Row[*tuple[Any, ...]]) -> Datastream:
    return Datastream(r[0], r[1], r[2], r[3], r[4], Datatype(r[5]), r[6], r[7], Kind(r[8]), r[9], r[10])


def get_streams(conn: Connection, stream_ids: Sequence[int]) -> list[Datastream]:
    """The datastreams with these ids that exist, in the order asked."""
    if not stream_ids:
        return []
    rows = conn.execute(
        select(*_STREAM_COLUMNS)
        .join(datasets, datasets.c.id == datastreams.c.dataset_id)
        .where(datastreams.c.id.in_(list(stream_ids)))
    )
    found = {r[0]: _stream(r) for r in rows}
    return [found[i] for i in stream_ids if i in found]


def get_stream(conn: Connection, stream_id: int) -> Datastream:
    """The datastream with that id."""
    found = get_streams(conn, [stream_id])
    if not found:
        raise NotFound(f"no datastream with id {stream_id}")
    return found[0]


def list_streams(conn: Connection, dataset_id: int) -> list[Datastream]:
    """The dataset's datastreams, oldest first."""
    rows = conn.execute(
        select(*_STREAM_COLUMNS)
        .join(datasets, datasets.c.id == datastreams.c.dataset_id)
        .where(datastreams.c.dataset_id == dataset_id)
        .order_by(datastreams.c.id)
    )
    return [_stream(r) for r in rows]


def streams_by_topic(conn: Connection, topics: Iterable[str]) -> dict[str, Datastream]:
    """Topic (`prefix/suffix`, or a bare prefix) -> datastream, for the topics that name one."""
    wanted = set(topics)
    prefixes = {t.partition("/")[0] for t in wanted}
    if not prefixes:
        return {}
    rows = conn.execute(
        select(*_STREAM_COLUMNS)
        .join(datasets, datasets.c.id == datastreams.c.dataset_id)
        .where(datasets.c.topic_prefix.in_(prefixes))
    )
    found = (_stream(r) for r in rows)
    return {s.topic: s for s in found if s.topic in wanted}


def role_streams(conn: Connection, site_id: int, roles: Iterable[str]) -> list[Datastream]:
    """The site's streams that play one of the roles, in any of its datasets (its meters' and its
    devices'), oldest first."""
    rows = conn.execute(
        select(*_STREAM_COLUMNS)
        .join(datasets, datasets.c.id == datastreams.c.dataset_id)
        .where(datasets.c.site_id == site_id, datastreams.c.role.in_(list(roles)))
        .order_by(datastreams.c.id)
    )
    return [_stream(r) for r in rows]


def update_stream(conn: Connection, stream_id: int, *, unit: str | None = None) -> Datastream:
    """Change what may change once points exist: the unit's label."""
    if unit is not None:
        conn.execute(update(datastreams).where(datastreams.c.id == stream_id).values(unit=unit))
    return get_stream(conn, stream_id)


def delete_streams(conn: Connection, stream_ids: Sequence[int]) -> None:
    """Delete datastreams with their points and aggregates."""
    if not stream_ids:
        return
    ids = list(stream_ids)
    marks = ",".join(str(int(i)) for i in ids)
    for table in (*writes.POINTS.values(), *writes.AGGREGATES.values()):
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE stream_id IN ({marks})")
    conn.execute(delete(stream_state).where(stream_state.c.stream_id.in_(ids)))
    conn.execute(delete(datastreams).where(datastreams.c.id.in_(ids)))
