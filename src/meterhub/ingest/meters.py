"""Meter samples (from telegrams or posted values) → rows for the one write path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from functools import partial

from meterhub.core.buckets import to_ms
from meterhub.core.datatypes import scaled
from meterhub.core.roles import READ_AT_ROLE, ROLES
from meterhub.ingest.registry import Registry
from meterhub.ingest.telegram import MeterSample, MeterStatistics, Telegram
from meterhub.ingest.write_path import PointRow
from meterhub.ingest.writer import Extra
from meterhub.store import meter_statistics

_STATISTICS = tuple(f.name for f in fields(MeterStatistics))


def reading_rows(
    registry: Registry,
    *,
    site_id: int,
    electricity: MeterSample,
    devices: Iterable[MeterSample],
    protocol: str,
) -> list[PointRow]:
    """A reading's point rows: its electricity values, and each M-Bus device's value with the link
    from the reading's time to the device's own."""
    rows = _sample_rows(registry, site_id=site_id, sample=electricity, protocol=protocol)
    # A device stamps its reading with its own clock, minutes or days apart from the telegram's
    # (DSMR 4 gas: the last whole hour); the link says which reading came with the telegram.
    at = to_ms(electricity.timestamp)
    for device in devices:
        rows.extend(_sample_rows(registry, site_id=site_id, sample=device, protocol=protocol, read_at=at))
    return rows


def telegram_rows(registry: Registry, *, site_id: int, telegram: Telegram) -> tuple[list[PointRow], Extra]:
    """Rows of every meter in the telegram, and the update of the site's meter statistics."""
    rows = reading_rows(
        registry,
        site_id=site_id,
        electricity=telegram.electricity,
        devices=telegram.devices,
        protocol=telegram.protocol,
    )
    stats = {name: getattr(telegram.statistics, name) for name in _STATISTICS}
    extra = partial(
        meter_statistics.record,
        site_id=site_id,
        ts_ms=to_ms(telegram.electricity.timestamp),
        values=stats,
        telegram=telegram.text,
    )
    return rows, extra


def rejected(site_id: int) -> Extra:
    """The write that counts a refused telegram."""
    return partial(meter_statistics.count_rejected, site_id=site_id)


def clashed(site_id: int, at_ms: int) -> Extra:
    """The write that counts a telegram stored without its values that contradicted stored ones."""
    return partial(meter_statistics.count_clashed, site_id=site_id, at_ms=at_ms)


def _sample_rows(
    registry: Registry, *, site_id: int, sample: MeterSample, protocol: str, read_at: int | None = None
) -> list[PointRow]:
    """The sample's values as point rows of its meter's streams, and the link written at read_at."""
    roles = (*sample.values, READ_AT_ROLE) if read_at is not None else sample.values
    meter = registry.streams(
        site_id=site_id,
        meter_type=sample.meter_type.value,
        equipment_id=sample.equipment_id or _anonymous(sample.channel),
        protocol=protocol,
        roles=roles,
    )
    ts = to_ms(sample.timestamp)
    rows: list[PointRow] = [
        (meter.streams[role], ts, scaled(value, ROLES[role].decimals))
        for role, value in sample.values.items()
    ]
    if read_at is not None:
        rows.append((meter.streams[READ_AT_ROLE], read_at, ts))
    return rows


def _anonymous(channel: int | None) -> str:
    return "" if channel is None else f"channel{channel}"
