"""DSMR-reader's query parameters: limit/offset, ordering and the __gte/__lte filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from starlette.requests import Request

from meterhub.core.buckets import to_ms, zone
from meterhub.faces.dsmr_reader import errors
from meterhub.store.series import FAR_FUTURE, FAR_PAST
from meterhub.web.fields import whole_number

DEFAULT_LIMIT = 25
MAX_LIMIT = 100_000
MAX_OFFSET = 2**62
_FIRST_DAY, _LAST_DAY = date(2, 1, 1), date(9998, 12, 31)


def documented(
    *, moments: tuple[str, ...] = (), days: tuple[str, ...] = (), ordering: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The `openapi_extra` of a list route: limit/offset, ordering and the range filters it reads
    (its handler reads them from the request itself, as DRF's filter sets do)."""

    def param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    found = [
        param("limit", {"type": "integer"}, f"results per page (default {DEFAULT_LIMIT})"),
        param("offset", {"type": "integer"}, "results to skip"),
    ]
    if ordering:
        choices = [f"{sign}{name}" for name in ordering for sign in ("", "-")]
        found.append(param("ordering", {"type": "string", "enum": choices}, "sort by this field"))
    for field, kind in [*((m, "date-time") for m in moments), *((d, "date") for d in days)]:
        for bound, word in (("gte", "from"), ("lte", "up to")):
            found.append(param(f"{field}__{bound}", {"type": "string", "format": kind}, f"{field} {word}"))
    return {"parameters": found}


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page(request: Request) -> Page:
    """limit and offset; like DRF, anything but a positive number falls back to the default."""
    return Page(
        min(_positive(request.query_params.get("limit"), DEFAULT_LIMIT, zero_ok=False), MAX_LIMIT),
        _positive(request.query_params.get("offset"), 0, zero_ok=True),
    )


def _positive(raw: str | None, default: int, *, zero_ok: bool) -> int:
    # Past MAX_OFFSET no page can start (nor can the databases count to it).
    value = whole_number(raw, largest=MAX_OFFSET) if raw is not None else default
    if value is None:
        return default
    return value if value > 0 or (zero_ok and value == 0) else default


def descending(request: Request, field: str, *, also: tuple[str, ...] = ()) -> tuple[bool, str]:
    """Whether `ordering` asks for descending order, and on which field (DRF ignores unknown ones)."""
    raw = request.query_params.get("ordering", "").split(",")[0].strip()
    name = raw.lstrip("-")
    if name not in (field, *also):
        return False, field
    return raw.startswith("-"), name


def moment_range(
    request: Request, field: str, tz: str, *, names: tuple[str, str] | None = None
) -> tuple[int, int]:
    """[lo, hi] in UTC ms from `field__gte` / `field__lte`; naive times are the site's local time."""
    gte, lte = names or (f"{field}__gte", f"{field}__lte")
    problems: dict[str, list[str]] = {}
    lo, hi = FAR_PAST, FAR_FUTURE
    for name, is_lo in ((gte, True), (lte, False)):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            problems[name] = ["Enter a valid date/time."]
            continue
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone(tz))
        try:
            ms = to_ms(value)
        except OverflowError:  # within a day of year 1 or 9999: before or after every stored time
            ms = FAR_PAST if value.year == 1 else FAR_FUTURE
        if is_lo:
            lo = ms
        else:
            hi = ms
    if problems:
        raise errors.field_errors(problems)
    return lo, hi


def day_range(request: Request, field: str) -> tuple[date | None, date | None]:
    """[first, last] from `field__gte` / `field__lte` dates."""
    problems: dict[str, list[str]] = {}
    out: list[date | None] = []
    for name in (f"{field}__gte", f"{field}__lte"):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            out.append(None)
            continue
        try:
            # The calendar's first and last years hold no stored day, and their edges cannot be
            # turned into times in every zone: a bound there means the same as one a year inside.
            out.append(min(max(date.fromisoformat(raw.strip()), _FIRST_DAY), _LAST_DAY))
        except ValueError:
            problems[name] = ["Enter a valid date."]
    if problems:
        raise errors.field_errors(problems)
    return out[0], out[1]
