"""DSMR-reader's wire formats: decimals as padded strings, local times with offset, pages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.datastructures import URL
from starlette.responses import JSONResponse

from meterhub.core.buckets import QUARTER_MS, from_ms


def dec(value: Decimal | None, places: int) -> str | None:
    """A decimal as DRF renders a DecimalField: a string with exactly the field's places."""
    if value is None:
        return None
    return f"{value:.{places}f}"


# ".000" … ".999": a year of statistics renders tens of thousands of these.
_THOUSANDTHS = tuple(f".{i:03d}" for i in range(1000))


def milli(units: int | None) -> str | None:
    """Thousandths (Wh, dm3) as the kWh or m3 string with three places, without a Decimal."""
    if units is None:
        return None
    if units < 0:
        return "-" + str(-units // 1000) + _THOUSANDTHS[-units % 1000]
    return str(units // 1000) + _THOUSANDTHS[units % 1000]


def cents(amount: int | None) -> str | None:
    """Cents as the currency string with two places."""
    if amount is None:
        return None
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 100)
    return f"{sign}{whole}.{part:02d}"


def moment(ts_ms: int | None, tz: str) -> str | None:
    """An instant in the site's time zone, ISO 8601 to the second; UTC as 'Z' (DRF's style)."""
    if ts_ms is None:
        return None
    offset = _offset(tz, ts_ms // QUARTER_MS)
    if offset is None:  # the quarter holds a clock change (some zones change at odd minutes)
        text = from_ms(ts_ms - ts_ms % 1000, tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    offset_s, suffix = offset
    seconds = ts_ms // 1000 + offset_s
    # The date part repeats for a whole local day: render it once per day.
    return _local_date(seconds // 86_400) + _clock(seconds % 86_400) + suffix


@lru_cache(maxsize=65_536)
def _offset(tz: str, quarter: int) -> tuple[int, str] | None:
    # Rendering a year of rows should build no datetime per row: one offset per quarter hour.
    start = from_ms(quarter * QUARTER_MS, tz).utcoffset()
    if start is None or start != from_ms(quarter * QUARTER_MS + QUARTER_MS - 1, tz).utcoffset():
        return None
    seconds = int(start.total_seconds())
    if seconds % 60:  # local mean time of old dates: isoformat shows seconds, so take that path
        return None
    if seconds == 0:
        return 0, "Z"
    sign, magnitude = ("-", -seconds) if seconds < 0 else ("+", seconds)
    return seconds, f"{sign}{magnitude // 3600:02d}:{magnitude // 60 % 60:02d}"


@lru_cache(maxsize=4096)
def _local_date(days: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(days * 86_400))


@lru_cache(maxsize=86_400)
def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class JSON(JSONResponse):
    """JSON rendered by orjson: the statistics endpoints return hundreds of rows."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def page(
    url: URL, *, count: int, limit: int, offset: int, results: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """DRF's LimitOffsetPagination body."""
    next_url = None
    if offset + limit < count:
        next_url = _with(url, limit=limit, offset=offset + limit)
    previous = None
    if offset > 0:
        previous = (
            _with(url, limit=limit, offset=offset - limit) if offset - limit > 0 else _with(url, limit=limit)
        )
    return {"count": count, "next": next_url, "previous": previous, "results": list(results)}


def _with(url: URL, **params: int) -> str:
    query = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k not in ("limit", "offset")]
    query += [(k, str(v)) for k, v in params.items()]
    return str(url.replace(query=urlencode(sorted(query))))
