"""A site's devices: what each is, when it was last heard from, and the streams it reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, delete, insert, or_, select

from meterhub.core.entities import Device, DeviceKind
from meterhub.core.errors import Conflict, Invalid, NotFound
from meterhub.store import accounts
from meterhub.store.accounts import now_ms
from meterhub.store.tables import datasets, datastreams, device_streams, devices, meters


def _device(r: Row[*tuple[Any, ...]]) -> Device:
    return Device(r[0], r[1], DeviceKind(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9])


def add_device(
    conn: Connection,
    *,
    site_id: int,
    kind: DeviceKind,
    product_name: str = "",
    instance: int | None = None,
    identifier: str = "",
    firmware_version: str = "",
    meter_id: int | None = None,
) -> Device:
    """Register a device of the site (a meter's, when meter_id names one of the site's meters)."""
    if meter_id is not None:
        found = conn.execute(select(meters.c.site_id).where(meters.c.id == meter_id)).first()
        if found is None or found[0] != site_id:
            raise NotFound(f"site {site_id} has no meter with id {meter_id}")
        if conn.execute(select(devices.c.id).where(devices.c.meter_id == meter_id)).first():
            raise Conflict(f"meter {meter_id} has its device already")
    new_id = conn.execute(
        insert(devices)
        .values(
            site_id=site_id,
            kind=kind.value,
            product_name=product_name,
            instance=instance,
            identifier=identifier,
            firmware_version=firmware_version,
            meter_id=meter_id,
            created_ms=now_ms(),
        )
        .returning(devices.c.id)
    ).scalar_one()
    return get_device(conn, int(new_id))


def get_device(conn: Connection, device_id: int) -> Device:
    """The device with that id."""
    row = conn.execute(select(devices).where(devices.c.id == device_id)).first()
    if row is None:
        raise NotFound(f"no device with id {device_id}")
    return _device(row)


def list_devices(conn: Connection, site_id: int | None = None) -> list[Device]:
    """Devices, of one site or all, oldest first."""
    query = select(devices).order_by(devices.c.id)
    if site_id is not None:
        query = query.where(devices.c.site_id == site_id)
    return [_device(r) for r in conn.execute(query)]


def update_device(
    conn: Connection,
    device_id: int,
    *,
    product_name: str | None = None,
    firmware_version: str | None = None,
    last_contact_ms: int | None = None,
) -> Device:
    """What a device says about itself when it reports: its product, firmware and the time it did;
    what is not given stays. A last contact never goes back in time (reports arrive out of order)."""
    device = get_device(conn, device_id)
    later = device.last_contact_ms is None or (last_contact_ms or 0) > device.last_contact_ms
    changes = {
        "product_name": product_name,
        "firmware_version": firmware_version,
        "last_contact_ms": last_contact_ms if later else None,
    }
    accounts.update_row(conn, devices, device_id, changes)
    return get_device(conn, device_id)


def link_streams(conn: Connection, device_id: int, stream_ids: Sequence[int]) -> None:
    """Say that the device reports these streams of its site (taking them from any device that
    did); a meter's device has its meter's streams, and no meter's stream goes to another."""
    device = get_device(conn, device_id)
    if device.meter_id is not None:
        raise Invalid(f"device {device_id} is meter {device.meter_id}'s: its streams are the meter's")
    ids = sorted(set(stream_ids))
    found = conn.execute(
        select(datastreams.c.id)
        .join(datasets, datasets.c.id == datastreams.c.dataset_id)
        .where(
            datastreams.c.id.in_(ids),
            datasets.c.site_id == device.site_id,
            datastreams.c.meter_id.is_(None),
        )
    )
    missing = set(ids) - {r[0] for r in found}
    if missing:
        raise NotFound(f"site {device.site_id} has no datastreams {sorted(missing)} outside its meters")
    if ids:
        conn.execute(delete(device_streams).where(device_streams.c.stream_id.in_(ids)))
        conn.execute(insert(device_streams), [{"stream_id": i, "device_id": device_id} for i in ids])


def device_streams_of(conn: Connection, device_id: int) -> list[int]:
    """The ids of the streams the device reports, oldest first."""
    device = get_device(conn, device_id)
    linked = select(device_streams.c.stream_id).where(device_streams.c.device_id == device_id)
    mine: ColumnElement[bool] = datastreams.c.id.in_(linked)
    if device.meter_id is not None:
        mine = or_(mine, datastreams.c.meter_id == device.meter_id)
    return [r[0] for r in conn.execute(select(datastreams.c.id).where(mine).order_by(datastreams.c.id))]
