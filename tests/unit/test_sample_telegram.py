"""`meterhub sample-telegram`: the DSMR 5.0 example telegram, stamped with the moment it is made."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from meterhub.demo.sample import sample_telegram
from meterhub.ingest.telegram import parse_telegram


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 7, 1, 12, 0, 5, tzinfo=UTC),
        # 02:30 in Amsterdam twice on 2026-10-25: summer time (S), then winter time (W).
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    ],
)
def test_the_sample_is_read_at_the_moment_it_was_made_with_a_crc_that_fits(now: datetime) -> None:
    read = parse_telegram(sample_telegram(now), now=now)
    assert read.protocol == "dsmr5"
    assert read.electricity is not None and read.electricity.timestamp == now
    assert [device.timestamp for device in read.devices] == [now]


def test_the_summer_and_winter_passes_through_the_repeated_hour_are_told_apart() -> None:
    summer, winter = (sample_telegram(datetime(2026, 10, 25, h, 30, tzinfo=UTC)) for h in (0, 1))
    assert "0-0:1.0.0(261025023000S)" in summer and "0-0:1.0.0(261025023000W)" in winter
