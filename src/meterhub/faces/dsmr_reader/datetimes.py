"""Django's parse_datetime: the one form in which DRF's DateTimeField (posted values) and
django-filter's IsoDateTimeField (exact filters) take a date-time, so a date alone is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

_DJANGO_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<micro>\d{1,6})\d{0,6})?)?(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_datetime(raw: str) -> datetime:
    """The date-time, naive unless it has an offset; ValueError for anything else."""
    match = _DJANGO_DATETIME.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    parts = match.groupdict()
    offset, micro = parts.pop("offset"), parts.pop("micro")
    numbers = {name: int(digits) for name, digits in parts.items() if digits is not None}
    fixed: tzinfo | None = None
    if offset == "Z":
        fixed = UTC
    elif offset is not None:
        minutes = 60 * int(offset[1:3]) + (int(offset[-2:]) if len(offset) > 3 else 0)
        fixed = timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))
    return datetime(**numbers, microsecond=int(micro.ljust(6, "0")) if micro else 0, tzinfo=fixed)
