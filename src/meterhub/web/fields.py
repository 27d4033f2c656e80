"""Inputs read the same way by every face: ids and texts as meterhub keeps them, whole numbers in ASCII.

Each length and range comes from `core/limits.py`, which the schema is sized by too: an id past its
column or a text longer than it is refused as bad input at the boundary, never sent to the database
to fail there (PostgreSQL also refuses NUL characters in text, SQLite integers past 64 bits).
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le
from pydantic import StringConstraints

from meterhub.core.limits import BIGINT_MAX, INTEGER_MAX
from meterhub.core.text import NO_NUL_PATTERN, text_problem

__all__ = ["Id", "Text", "problem", "whole_number"]

# Every id is an INTEGER column.
Id = Annotated[int, Ge(0), Le(INTEGER_MAX)]


def Text(max_length: int) -> StringConstraints:
    """A body field of text at most that long (a limit of core.limits), no NUL in it:
    `Annotated[str, Text(limits.NAME)]`."""
    return StringConstraints(max_length=max_length, pattern=NO_NUL_PATTERN)


def problem(value: str, max_length: int) -> str | None:
    """What keeps the text from being kept (for a face that reads its fields itself), or None."""
    return text_problem(value, max_length)


def whole_number(raw: str, *, largest: int = BIGINT_MAX) -> int | None:
    """The number written in ASCII digits, at most `largest`; None for anything else.

    Python's int() also reads other scripts' digits (`٣` is 3) and fails on others (`²`).
    """
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= largest else None
