"""DSMR-reader's wire formats, rendered fast, agree with the slow and obvious way."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from meterhub.faces.dsmr_reader.render import milli, moment


def obvious(ts_ms: int, tz: str) -> str:
    text = datetime.fromtimestamp(ts_ms // 1000, UTC).astimezone(ZoneInfo(tz)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# Newfoundland changed its clocks at 00:01 until 2011, Lord Howe by half an hour, and old dates
# carry local mean time with seconds in the offset.
@pytest.mark.parametrize(
    "tz", ["Europe/Amsterdam", "UTC", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kathmandu"]
)
def test_moment_matches_isoformat_in_every_zone(tz: str) -> None:
    rnd = random.Random(tz)
    for ts in [rnd.randint(-3 * 10**12, 4 * 10**12) for _ in range(3000)] + [625631835065, -2516158515079]:
        assert moment(ts, tz) == obvious(ts, tz), ts


@pytest.mark.parametrize("units", [0, 1, 999, 1000, 1001, -1, -1000, -1001, 123_456_789])
def test_milli_matches_decimal_formatting(units: int) -> None:
    assert milli(units) == f"{Decimal(units).scaleb(-3):.3f}"
