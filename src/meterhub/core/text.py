"""The one rule for text meterhub keeps: no NUL characters (PostgreSQL cannot store them in text
columns), and no more characters than the place it is kept holds."""

from __future__ import annotations

from typing import Final

# For JSON Schema and pydantic: any text without NUL.
NO_NUL_PATTERN: Final = r"^[^\x00]*$"


def text_problem(value: str, max_length: int | None = None) -> str | None:
    """What is wrong with the text as something to keep, or None when nothing is."""
    if "\x00" in value:
        return "must not contain NUL characters"
    if max_length is not None and len(value) > max_length:
        return f"must be at most {max_length} characters long"
    return None
