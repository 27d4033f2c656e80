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


def milli(units: int | None) -> str | None:
    """Thousandths (Wh, dm3) as the kWh or m3 string with three places, without a Decimal."""
    if units is None:
        return None
    whole, part = divmod(abs(units), 1000)
    return f"{'-' if units < 0 else ''}{whole}.{part:03d}"


def moment(ts_ms: int | None, tz: str) -> str | None:
    """An instant in the site's time zone, ISO 8601 to the second; UTC as 'Z' (DRF's style)."""
    if ts_ms is None:
        return None
    offset_s, suffix = _offset(tz, ts_ms // QUARTER_MS)
    t = time.gmtime(ts_ms // 1000 + offset_s)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}{suffix}"


@lru_cache(maxsize=65_536)
def _offset(tz: str, quarter: int) -> tuple[int, str]:
    # Offsets change only at quarter-hour boundaries, so one look-up per quarter serves every
    # timestamp in it: rendering a year of rows builds no datetime per row.
    text = from_ms(quarter * QUARTER_MS, tz).isoformat()[-6:]
    seconds = (int(text[1:3]) * 3600 + int(text[4:6]) * 60) * (-1 if text[0] == "-" else 1)
    return seconds, "Z" if text == "+00:00" else text


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
