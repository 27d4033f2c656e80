"""DSMR-reader's wire formats: decimals as padded strings, local times with offset, pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import URL

from meterhub.core.buckets import from_ms


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
    text = from_ms(ts_ms, tz).replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def moment_of(value: datetime, tz: str) -> str:
    """An aware datetime rendered like moment()."""
    return moment(int(value.astimezone(UTC).timestamp() * 1000), tz) or ""


def day(value: date) -> str:
    """A date as YYYY-MM-DD."""
    return value.isoformat()


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
