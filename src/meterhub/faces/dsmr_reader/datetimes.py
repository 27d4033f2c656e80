"""Date-times and dates read as DSMR-reader 5.11's Django 3.2 reads them.

Django's parse_datetime is the one form in which DRF's DateTimeField (posted values) and
django-filter's IsoDateTimeFilter (exact filters) take a date-time, so a date alone is refused
there, and parse_date the one form DRF's DateField takes. The range filters are forms'
DateTimeField and DateField, which also try the input formats of the request's language (English
or Dutch, `locale.py`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_DJANGO_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<micro>\d{1,6})\d{0,6})?)?(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?"
)


_DJANGO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})")


def parse_date(raw: str) -> date:
    """Django's parse_date, the one form DRF's DateField takes; ValueError for anything else."""
    match = _DJANGO_DATE.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    return date(*(int(digits) for digits in match.groups()))


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


# Django 3.2's DATE_INPUT_FORMATS and DATETIME_INPUT_FORMATS (conf/locale/<language>/formats.py,
# in Django's order, with the ISO formats get_format appends), which forms' DateField and
# DateTimeField try in the request's language (upstream: USE_L10N = True; its own
# dsmrreader/formats define none of these).
DATE_INPUT_FORMATS = {
    "en": ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"),
    "nl": ("%d-%m-%Y", "%d-%m-%y", "%d/%m/%Y", "%d/%m/%y", "%Y/%m/%d", "%Y-%m-%d"),
}
DATETIME_INPUT_FORMATS = {
    "en": (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M:%S.%f",
        "%m/%d/%Y %H:%M",
        "%m/%d/%y %H:%M:%S",
        "%m/%d/%y %H:%M:%S.%f",
        "%m/%d/%y %H:%M",
        "%Y-%m-%d",
    ),
    "nl": (
        *("%d-%m-%Y %H:%M:%S", "%d-%m-%y %H:%M:%S", "%Y-%m-%d %H:%M:%S"),
        *("%d/%m/%Y %H:%M:%S", "%d/%m/%y %H:%M:%S", "%Y/%m/%d %H:%M:%S"),
        *("%d-%m-%Y %H:%M:%S.%f", "%d-%m-%y %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f"),
        *("%d/%m/%Y %H:%M:%S.%f", "%d/%m/%y %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S.%f"),
        *("%d-%m-%Y %H.%M:%S", "%d-%m-%y %H.%M:%S", "%d/%m/%Y %H.%M:%S", "%d/%m/%y %H.%M:%S"),
        *("%d-%m-%Y %H.%M:%S.%f", "%d-%m-%y %H.%M:%S.%f", "%d/%m/%Y %H.%M:%S.%f", "%d/%m/%y %H.%M:%S.%f"),
        *("%d-%m-%Y %H:%M", "%d-%m-%y %H:%M", "%Y-%m-%d %H:%M"),
        *("%d/%m/%Y %H:%M", "%d/%m/%y %H:%M", "%Y/%m/%d %H:%M"),
        *("%d-%m-%Y %H.%M", "%d-%m-%y %H.%M", "%d/%m/%Y %H.%M", "%d/%m/%y %H.%M"),
        "%Y-%m-%d",
    ),
}


def form_datetime(raw: str, language: str) -> datetime:
    """As forms.DateTimeField: parse_datetime, then the language's date-time and date input formats."""
    try:
        return parse_datetime(raw)
    except ValueError:
        return _first_format(raw, DATETIME_INPUT_FORMATS[language] + DATE_INPUT_FORMATS[language])


def form_date(raw: str, language: str) -> date:
    """As forms.DateField: the language's date input formats."""
    return _first_format(raw, DATE_INPUT_FORMATS[language]).date()


def _first_format(raw: str, formats: tuple[str, ...]) -> datetime:
    for form in formats:
        try:
            return datetime.strptime(raw, form)
        except ValueError:
            continue
    raise ValueError(raw)
