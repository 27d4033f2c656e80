"""Meter samples (from telegrams or posted values) → rows for the one write path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from functools import partial

from meterhub.core.buckets import to_ms
from meterhub.core.datatypes import scaled
from meterhub.core.roles import ROLES
from meterhub.ingest.registry import Registry
from meterhub.ingest.telegram import MeterSample, MeterStatistics, Telegram
from meterhub.ingest.write_path import PointRow
from meterhub.ingest.writer import Extra
from meterhub.store import meter_statistics

_STATISTICS = tuple(f.name for f in fields(MeterStatistics))


def sample_rows(registry: Registry, *, site_id: int, sample: MeterSample, protocol: str) -> list[PointRow]:
    """The sample's values as point rows of its meter's streams."""
    meter = registry.streams(
        site_id=site_id,
        meter_type=sample.meter_type.value,
        equipment_id=sample.equipment_id or _anonymous(sample.channel),
        protocol=protocol,
        roles=sample.values,
    )
    ts = to_ms(sample.timestamp)
    return [
        (meter.streams[role], ts, scaled(value, ROLES[role].decimals))
        for role, value in sample.values.items()
    ]


def telegram_rows(registry: Registry, *, site_id: int, telegram: Telegram) -> tuple[list[PointRow], Extra]:
    """Rows of every meter in the telegram, and the update of the site's meter statistics."""
    rows: list[PointRow] = []
    for sample in _samples(telegram):
        rows.extend(sample_rows(registry, site_id=site_id, sample=sample, protocol=telegram.protocol))
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


def _samples(telegram: Telegram) -> Iterable[MeterSample]:
    yield telegram.electricity
    yield from telegram.devices


def _anonymous(channel: int | None) -> str:
    return "" if channel is None else f"channel{channel}"
