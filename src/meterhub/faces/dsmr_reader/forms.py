"""Validating posted values the way DRF's serializers do, with the same messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from meterhub.core.buckets import ambiguous_or_missing, to_ms, zone
from meterhub.core.window import TimeWindow
from meterhub.faces.dsmr_reader.datetimes import parse_date, parse_datetime
from meterhub.faces.dsmr_reader.locale import DEFAULT, say

REQUIRED = "This field is required."
# DRF's messages, with the formats it names (its humanize_datetime of ISO 8601).
WRONG_DATE = "Date has wrong format. Use one of these formats instead: {format}."
WRONG_DATETIME = "Datetime has wrong format. Use one of these formats instead: {format}."
DATE_ISO = "YYYY-MM-DD"
DATETIME_ISO = "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"
DATE_FORMAT = WRONG_DATE.format(format=DATE_ISO)
DATETIME_FORMAT = WRONG_DATETIME.format(format=DATETIME_ISO)


_SCHEMAS = {
    "date-time": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "string": {"type": "string"},
}


def documented(
    fields: Mapping[str, str],
    required: Iterable[str] = (),
    kinds: Iterable[str] = ("application/json", "application/x-www-form-urlencoded"),
) -> dict[str, Any]:
    """The `openapi_extra` of a route taking these fields (name -> date-time, date, number, integer
    or string) in these kinds of body (JSON or a form, as DRF's parsers take them)."""
    schema = {
        "type": "object",
        "properties": {name: _SCHEMAS[kind] for name, kind in fields.items()},
        "required": list(required),
    }
    content = {kind: {"schema": schema} for kind in kinds}
    return {"requestBody": {"required": True, "content": content}}


@dataclass(frozen=True)
class Submitted:
    """The fields of a request body, and whether they came as a form (DRF's "HTML input")."""

    fields: dict[str, Any]
    html: bool
    # The request's language, for the messages.
    language: str = DEFAULT


class Form:
    """Collects every field's problems, like a serializer's is_valid()."""

    def __init__(self, submitted: Submitted, tz: str, window: TimeWindow) -> None:
        self.data = submitted.fields
        # A form cannot send null, so DRF reads its empty fields as null or absent; JSON's "" is a value.
        self.html = submitted.html
        self.tz = tz
        # Moments and days outside it are refused as the field's problem.
        self.window = window
        self.language = submitted.language
        self.problems: dict[str, list[str]] = {}

    def _refuse(self, name: str, english: str, **params: Any) -> None:
        self.problems[name] = [say(self.language, english, **params)]

    def _raw(self, name: str, required: bool, nullable: bool = True) -> Any:
        if name not in self.data or (self.html and self.data[name] == "" and not required):
            if required:
                self._refuse(name, REQUIRED)
            return None
        value = self.data[name]
        if value is None and (required or not nullable):
            self._refuse(name, "This field may not be null.")
        return value

    def decimal(self, name: str, *, digits: int, places: int, required: bool = False) -> Decimal | None:
        """A DecimalField(max_digits=digits, decimal_places=places)."""
        raw = self._raw(name, required)
        if raw is None:
            return None
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self._refuse(name, "A valid number is required.")
            return None
        _, digit_tuple, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        decimals = max(0, -exponent)
        whole = max(0, len(digit_tuple) + exponent)
        if whole + decimals > digits:
            self._refuse(
                name, "Ensure that there are no more than {max_digits} digits in total.", max_digits=digits
            )
        elif decimals > places:
            self._refuse(
                name,
                "Ensure that there are no more than {max_decimal_places} decimal places.",
                max_decimal_places=places,
            )
        elif whole > digits - places:
            self._refuse(
                name,
                "Ensure that there are no more than {max_whole_digits} digits before the decimal point.",
                max_whole_digits=digits - places,
            )
        else:
            return value
        return None

    def integer(self, name: str, *, low: int, high: int, nullable: bool = True) -> int | None:
        """An IntegerField with bounds."""
        raw = self._raw(name, False, nullable)
        if raw is None:
            return None
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(Decimal(str(raw).strip()))
            if Decimal(str(raw).strip()) != value:
                raise ValueError
        except (ValueError, InvalidOperation):
            self._refuse(name, "A valid integer is required.")
            return None
        if value > high:
            self._refuse(name, "Ensure this value is less than or equal to {max_value}.", max_value=high)
        elif value < low:
            self._refuse(name, "Ensure this value is greater than or equal to {min_value}.", min_value=low)
        else:
            return value
        return None

    def moment(self, name: str, *, required: bool = False, nullable: bool = True) -> datetime | None:
        """A DateTimeField; naive values are the site's local time."""
        raw = self._raw(name, required, nullable)
        if raw is None:
            return None
        try:
            value = parse_datetime(str(raw).strip())
        except ValueError:
            self._refuse(name, WRONG_DATETIME, format=DATETIME_ISO)
            return None
        if value.tzinfo is None:
            # DRF's enforce_timezone: pytz's localize(is_dst=None) refuses the DST hours' guesses.
            if ambiguous_or_missing(value, self.tz):
                self._refuse(name, 'Invalid datetime for the timezone "{timezone}".', timezone=self.tz)
                return None
            value = value.replace(tzinfo=zone(self.tz))
        return value if self._in_window(name, to_ms(value)) else None

    def text(self, name: str, *, max_length: int | None) -> str | None:
        """A CharField(allow_null=True, max_length=max_length), with DRF's messages: a form's empty
        field is null, a blank JSON string refused, and the value stripped of surrounding whitespace."""
        raw = self._raw(name, False)
        if raw is None:
            return None
        value = str(raw).strip()
        if not value:
            self._refuse(name, "This field may not be blank.")
        elif "\x00" in value:
            self._refuse(name, "Null characters are not allowed.")
        elif max_length is not None and len(value) > max_length:
            self._refuse(
                name, "Ensure this field has no more than {max_length} characters.", max_length=max_length
            )
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        """A DateField."""
        raw = self._raw(name, required)
        if raw is None:
            return None
        try:
            value = parse_date(str(raw).strip())
        except ValueError:
            self._refuse(name, WRONG_DATE, format=DATE_ISO)
            return None
        # (not day_start_ms: its round trip through UTC overflows in year 1)
        midnight = datetime.combine(value, time(), zone(self.tz))
        return value if self._in_window(name, to_ms(midnight)) else None

    def _in_window(self, name: str, ts_ms: int) -> bool:
        problem = self.window.problem(ts_ms)
        if problem is not None:
            self.problems[name] = [f"This moment cannot be stored: {problem}."]
        return problem is None
