"""Meters of a site and the datastreams that carry their quantities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from meterhub.core.entities import DeviceKind, Meter
from meterhub.core.roles import ROLES
from meterhub.store import devices, raw
from meterhub.store.accounts import now_ms
from meterhub.store.tables import datasets, datastreams, meters, stream_state


@dataclass(frozen=True)
class SiteStream:
    stream_id: int
    meter_id: int
    role: str
    protocol: str


def meter_dataset(conn: Connection, site_id: int) -> int | None:
    """The site's own dataset (where its meters' streams live), if its first meter made it."""
    row = conn.execute(select(datasets.c.id).where(datasets.c.topic_prefix == f"site{site_id}")).first()
    return int(row[0]) if row else None


def site_dataset(conn: Connection, site_id: int) -> int:
    """The site's own dataset (where its meters' streams live), created on first use."""
    prefix = f"site{site_id}"
    found = meter_dataset(conn, site_id)
    if found is not None:
        return found
    return int(
        conn.execute(
            insert(datasets)
            .values(site_id=site_id, topic_prefix=prefix, name=f"Meters of site {site_id}")
            .returning(datasets.c.id)
        ).scalar_one()
    )


def find_meter(conn: Connection, *, site_id: int, meter_type: str, equipment_id: str) -> Meter | None:
    """The meter with that equipment id in the site."""
    row = conn.execute(
        select(meters).where(
            meters.c.site_id == site_id,
            meters.c.meter_type == meter_type,
            meters.c.equipment_id == equipment_id,
        )
    ).first()
    return Meter(*row) if row else None


def add_meter(conn: Connection, *, site_id: int, meter_type: str, equipment_id: str, protocol: str) -> Meter:
    """Register a meter, and the device it is."""
    created = now_ms()
    meter_id = conn.execute(
        insert(meters)
        .values(
            site_id=site_id,
            meter_type=meter_type,
            equipment_id=equipment_id,
            protocol=protocol,
            created_ms=created,
        )
        .returning(meters.c.id)
    ).scalar_one()
    devices.add_device(
        conn, site_id=site_id, kind=DeviceKind.METER, identifier=equipment_id, meter_id=int(meter_id)
    )
    return Meter(int(meter_id), site_id, meter_type, equipment_id, protocol, created)


def set_protocol(conn: Connection, *, meter_id: int, protocol: str) -> None:
    """Record the protocol a meter speaks (it can change with a firmware update)."""
    conn.execute(update(meters).where(meters.c.id == meter_id).values(protocol=protocol))


def list_meters(conn: Connection, site_id: int | None = None) -> list[Meter]:
    """Meters, of one site or all."""
    query = select(meters).order_by(meters.c.id)
    if site_id is not None:
        query = query.where(meters.c.site_id == site_id)
    return [Meter(*r) for r in conn.execute(query)]


def meter_streams(conn: Connection, meter_id: int) -> dict[str, int]:
    """Role -> stream id of the meter's streams."""
    rows = conn.execute(
        select(datastreams.c.role, datastreams.c.id).where(datastreams.c.meter_id == meter_id)
    )
    return {r[0]: r[1] for r in rows}


def add_streams(conn: Connection, *, dataset_id: int, meter_id: int, roles: Iterable[str]) -> dict[str, int]:
    """Create the meter's streams for the roles; returns role -> stream id."""
    out: dict[str, int] = {}
    for name in roles:
        role = ROLES[name]
        out[name] = int(
            conn.execute(
                insert(datastreams)
                .values(
                    dataset_id=dataset_id,
                    meter_id=meter_id,
                    topic_suffix=f"meter{meter_id}/{name.replace('_', '')}",
                    role=name,
                    kind=role.kind.value,
                    unit=role.unit,
                    decimals=role.decimals,
                )
                .returning(datastreams.c.id)
            ).scalar_one()
        )
    return out


def site_streams(conn: Connection, site_id: int, roles: Iterable[str]) -> list[SiteStream]:
    """Streams of the site's meters that play one of the roles, oldest meter first."""
    wanted = list(roles)
    # Every read endpoint starts here: straight to the driver (see store.raw).
    found = raw.rows(
        conn,
        "SELECT d.id, m.id, d.role, m.protocol FROM datastreams d JOIN meters m ON m.id = d.meter_id "
        f"WHERE m.site_id = ? AND d.role IN ({','.join('?' * len(wanted))}) ORDER BY m.id, d.id",
        (site_id, *wanted),
    )
    return [SiteStream(*r) for r in found]


def stream_counts(conn: Connection, stream_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """Stream id -> (point count, first ts, last ts) for streams that have points."""
    ids = list(stream_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(
            stream_state.c.stream_id, stream_state.c.n, stream_state.c.first_ts, stream_state.c.last_ts
        ).where(stream_state.c.stream_id.in_(ids))
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}
