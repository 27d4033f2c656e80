"""Inputs read the same way by every face: ids and texts as the tables hold them, whole numbers in ASCII.

The tables are the one source of each length and range: an id past its column or a text longer than
it is refused as bad input at the boundary, never sent to the database to fail there (PostgreSQL
also refuses NUL characters in text, SQLite integers past 64 bits).
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import StringConstraints
from sqlalchemy import Column

from meterhub.core.text import NO_NUL_PATTERN, text_problem
from meterhub.store.tables import largest, max_length

__all__ = ["Id", "Text", "problem", "whole_number"]


def Id(column: Column[Any]) -> Any:
    """An id (path parameter or body field) the column can hold."""
    return Annotated[int, Ge(0), Le(largest(column))]


def Text(column: Column[Any]) -> Any:
    """A body field the text column can keep."""
    return Annotated[str, StringConstraints(max_length=max_length(column), pattern=NO_NUL_PATTERN)]


def problem(value: str, column: Column[Any]) -> str | None:
    """What keeps the text out of the column (for a face that reads its fields itself), or None."""
    return text_problem(value, max_length(column))


def whole_number(raw: str, *, largest: int = 2**63 - 1) -> int | None:
    """The number written in ASCII digits, at most `largest`; None for anything else.

    Python's int() also reads other scripts' digits (`٣` is 3) and fails on others (`²`).
    """
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= largest else None
