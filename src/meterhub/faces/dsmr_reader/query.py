"""DSMR-reader's query parameters: limit/offset, ordering, and the exact and __gte/__lte filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.requests import Request

from meterhub.core.buckets import FAR_FUTURE, FAR_PAST, ambiguous_or_missing, to_ms, zone
from meterhub.faces.dsmr_reader import errors, locale
from meterhub.faces.dsmr_reader.datetimes import form_date, form_datetime, parse_datetime
from meterhub.web.fields import whole_number

DEFAULT_LIMIT = 25
MAX_LIMIT = 100_000
MAX_OFFSET = 2**62
_FIRST_DAY, _LAST_DAY = date(2, 1, 1), date(9998, 12, 31)


def documented(
    *,
    moments: tuple[str, ...] = (),
    days: tuple[str, ...] = (),
    ordering: tuple[str, ...] = (),
    exact: bool = False,
) -> dict[str, Any]:
    """The `openapi_extra` of a list route: limit/offset, ordering, the range filters it reads and,
    with `exact`, each field's exact filter (its handler reads them from the request itself, as
    DRF's filter sets do)."""

    def param(name: str, schema: dict[str, Any], description: str, **more: Any) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": description,
            **more,
        }

    found = [
        param("limit", {"type": "integer"}, f"results per page (default {DEFAULT_LIMIT})"),
        param("offset", {"type": "integer"}, "results to skip"),
    ]
    if ordering:
        choices = [f"{sign}{name}" for name in ordering for sign in ("", "-")]
        found.append(param("ordering", {"type": "string", "enum": choices}, "sort by this field"))
    words = {"gte": "from", "lte": "up to", "exact": "exactly"}
    for field, kind in [*((m, "date-time") for m in moments), *((d, "date") for d in days)]:
        for name, lookup in _lookups(field, exact):
            more = {"deprecated": True} if lookup == "exact" else {}
            schema = {"type": "string", "format": kind}
            found.append(param(name, schema, f"{field} {words[lookup]}", **more))
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


def moment_range(request: Request, field: str, tz: str, *, exact: bool) -> tuple[int, int]:
    """[lo, hi] in UTC ms from `field__gte` / `field__lte` and, where upstream has it, the exact
    `field`; naive times are the site's local time."""
    language = locale.of(request)
    problems: dict[str, list[str]] = {}
    lo, hi = FAR_PAST, FAR_FUTURE
    for name, lookup in _lookups(field, exact):
        raw = request.query_params.get(name)
        if not raw:
            continue
        try:
            first, last = _filter_moment(raw.strip(), tz, language, iso_only=lookup == "exact")
        except _Refused as refused:
            problems[name] = [str(refused)]
            continue
        if lookup != "lte":
            lo = max(lo, first)
        if lookup != "gte":
            hi = min(hi, last)
    if problems:
        raise errors.field_errors(problems)
    return lo, hi


def day_range(request: Request, field: str, *, exact: bool) -> tuple[date | None, date | None]:
    """[first, last] from `field__gte` / `field__lte` and, where upstream has it, the exact `field`."""
    language = locale.of(request)
    problems: dict[str, list[str]] = {}
    first: date | None = None
    last: date | None = None
    for name, lookup in _lookups(field, exact):
        raw = request.query_params.get(name)
        if not raw:
            continue
        try:
            # The calendar's first and last years hold no stored day, and their edges cannot be
            # turned into times in every zone: a bound there means the same as one a year inside.
            day = min(max(form_date(raw.strip(), language), _FIRST_DAY), _LAST_DAY)
        except ValueError:
            problems[name] = [locale.say(language, "Enter a valid date.")]
            continue
        if lookup != "lte":
            first = day if first is None else max(first, day)
        if lookup != "gte":
            last = day if last is None else min(last, day)
    if problems:
        raise errors.field_errors(problems)
    return first, last


def _lookups(field: str, exact: bool) -> list[tuple[str, str]]:
    # Upstream's FilterSets declare the bounds; some also list the field itself in Meta.fields,
    # which makes django-filter add an exact filter (deprecated since 5.3, still applied).
    found = [(f"{field}__gte", "gte"), (f"{field}__lte", "lte")]
    return [*found, (field, "exact")] if exact else found


# Django's from_current_timezone, which django-filter's form fields pass on.
UNINTERPRETABLE = "{datetime} couldn’t be interpreted in time zone {current_timezone}; it may be ambiguous or it may not exist."


class _Refused(ValueError):
    """A filter value django-filter's form field would not take; the message is its own."""


def _filter_moment(raw: str, tz: str, language: str, *, iso_only: bool) -> tuple[int, int]:
    """The first whole millisecond (meterhub's precision) at or after the value, and the last at or
    before it: the same unless the value is finer than a millisecond, which no stored time equals."""
    try:
        value = parse_datetime(raw) if iso_only else form_datetime(raw, language)
    except ValueError:
        raise _Refused(locale.say(language, "Enter a valid date/time.")) from None
    if value.tzinfo is None:
        # Django's from_current_timezone (pytz's localize with is_dst=None) guesses no fold.
        if ambiguous_or_missing(value, tz):
            raise _Refused(locale.say(language, UNINTERPRETABLE, datetime=value, current_timezone=tz))
        value = value.replace(tzinfo=zone(tz))
    try:
        ms = to_ms(value)
    except OverflowError:  # within a day of year 1 or 9999: before or after every stored time
        edge = FAR_PAST if value.year == 1 else FAR_FUTURE
        return edge, edge
    return (ms + 1 if value.microsecond % 1000 else ms), ms
