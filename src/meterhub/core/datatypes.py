"""What a datastream's values are, how they are stored, and how they are read from and written as text.

energydata.dk knows three datatypes: string, integer and double. meterhub adds `fixed`: a number
with a set count of decimals (a meter reading in kWh to the Wh), stored as an integer in units of
10**-decimals so that sums stay exact; clients see it as a double. Each datatype keeps its points
in one storage family: integers (integer, fixed), floating point (double) or text (string).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from meterhub.core.text import text_problem

Value = int | float | str

INT64: Final = 2**63 - 1
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Whole columns at once: cells joined by a unit separator, each empty or well formed. Integers of
# up to 18 digits always fit 64 bits; longer ones take the cell-by-cell path, which checks.
_SEP: Final = "\x1f"
_COLUMNS: Final = {
    "integer": re.compile(r"(?:[+-]?[0-9]{1,18})?(?:\x1f(?:[+-]?[0-9]{1,18})?)*"),
    "double": re.compile(
        r"(?:[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)?"
        r"(?:\x1f(?:[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)?)*"
    ),
}


class Datatype(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DOUBLE = "double"
    FIXED = "fixed"

    @property
    def public(self) -> str:
        """The datatype as energydata.dk names it."""
        return "double" if self is Datatype.FIXED else self.value

    @property
    def family(self) -> str:
        """Where the points live: `int`, `real` or `text`."""
        return _FAMILIES[self]


_FAMILIES: Final = {
    Datatype.STRING: "text",
    Datatype.INTEGER: "int",
    Datatype.FIXED: "int",
    Datatype.DOUBLE: "real",
}


class BadValue(ValueError):
    """A value that the datastream's datatype cannot hold; the message says why."""


def scaled(value: Decimal, decimals: int) -> int:
    """The value as an integer count of 10**-decimals units, rounded half up."""
    return int(value.scaleb(decimals).to_integral_value(ROUND_HALF_UP))


def from_text(text: str, datatype: Datatype, decimals: int = 0) -> Value | None:
    """The stored value of a text field (a CSV cell); None when an empty field imports nothing.

    An empty field is the empty string for a string stream and no value for a number stream,
    as energydata.dk's batch import defines it.
    """
    if datatype is Datatype.STRING:
        return _kept(text)
    if text == "":
        return None
    if datatype is Datatype.INTEGER:
        if _INTEGER.fullmatch(text) is None:
            raise BadValue(f"`{_show(text)}` is not an integer")
        return _in_range(int(text), text)
    if _NUMBER.fullmatch(text) is None:
        raise BadValue(f"`{_show(text)}` is not a number")
    if datatype is Datatype.DOUBLE:
        value = float(text)
        if math.isinf(value):
            raise BadValue(f"`{_show(text)}` is too large for a double")
        return value
    try:
        return _in_range(scaled(Decimal(text), decimals), text)
    except InvalidOperation:  # an exponent too large for the decimal context
        raise BadValue(f"`{_show(text)}` is too large") from None


def column_values(texts: list[str], datatype: Datatype) -> list[Value] | None:
    """The values of a whole column of text cells (empty cells left out as `from_text` does), or
    None when some cell needs `from_text` to say what is wrong with it; fast for clean columns."""
    if datatype is Datatype.STRING:
        return None if any("\x00" in t for t in texts) else list(texts)
    pattern = _COLUMNS.get(datatype.value)
    if pattern is None:
        return None
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1 or pattern.fullmatch(joined) is None:
        return None
    cells = [t for t in texts if t]
    if datatype is Datatype.INTEGER:
        return list(map(int, cells))
    values: list[Value] = list(map(float, cells))
    return None if any(map(math.isinf, values)) else values  # type: ignore[arg-type]


def from_json(value: object, datatype: Datatype, decimals: int = 0) -> Value:
    """The stored value of a JSON value (an MQTT message, a posted reading)."""
    if datatype is Datatype.STRING:
        if isinstance(value, str):
            return _kept(value)
        raise BadValue(f"{_json(value)} is not a string")
    if isinstance(value, str):
        # The document's own mosquitto_pub example sends a double as a string: read it as its text.
        number = from_text(value, datatype, decimals)
        if number is None:
            raise BadValue('"" is not a number')
        return number
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"{_json(value)} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValue(f"{_json(value)} is not a finite number")
    if datatype is Datatype.INTEGER:
        if isinstance(value, float) and not value.is_integer():
            raise BadValue(f"{_json(value)} is not an integer")
        return _in_range(int(value), str(value))
    if datatype is Datatype.DOUBLE:
        return float(value)
    return _in_range(
        scaled(Decimal(repr(value) if isinstance(value, float) else value), decimals), str(value)
    )


def to_text(value: Value, datatype: Datatype, decimals: int = 0) -> str:
    """The value as a CSV field (unquoted): shortest round-trip form for doubles."""
    if datatype is Datatype.FIXED:
        return fixed_text(value, decimals)  # type: ignore[arg-type]
    if datatype is Datatype.DOUBLE:
        return repr(value)
    return str(value)


def fixed_text(value: int, decimals: int) -> str:
    """An integer count of 10**-decimals units as a decimal number, e.g. 1073079, 3 -> 1073.079."""
    if decimals == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(value), 10**decimals)
    return f"{sign}{whole}.{part:0{decimals}d}"


def _in_range(value: int, text: str) -> int:
    if -INT64 - 1 <= value <= INT64:
        return value
    raise BadValue(f"`{_show(text)}` is outside the 64-bit integer range")


def _kept(text: str) -> str:
    problem = text_problem(text)
    if problem is not None:
        raise BadValue(f"`{_show(text)}`: a string value {problem}")
    return text


def _show(text: str) -> str:
    # Messages are kept too (an import's problems): a NUL in them would be refused in turn.
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= 40 else text[:37] + "..."


def _json(value: object) -> str:
    return _show(repr(value)) if not isinstance(value, str) else f'"{_show(value)}"'
