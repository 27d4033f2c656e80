"""`GET /api/v1/datastreams/values`: the latest value, or every value in a time span, as CSV."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import StreamingResponse

from meterhub.core.buckets import to_ms
from meterhub.core.datatypes import Datatype, fixed_text
from meterhub.core.entities import Datastream
from meterhub.core.limits import INTEGER_MAX
from meterhub.faces.energydata_dk import errors
from meterhub.faces.energydata_dk.deps import READ, token
from meterhub.services import values
from meterhub.web.app_state import platform
from meterhub.web.fields import whole_number

router = APIRouter(
    prefix="/api/v1/datastreams", tags=["energydata.dk: datastream values"], responses=errors.RESPONSES
)

MAX_IDS: Final = 1000
# The document's own example writes `2018-0201T00:00:00`; both forms are read.
_MOMENT: Final = re.compile(r"(\d{4})-(\d{2})-?(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z?")
_HEADERS: Final = {
    "Content-Description": "File Transfer",
    "Content-Disposition": "attachment; filename=data.csv",
}


@router.get(
    "/values",
    summary="Latest value, or all values in a time span, of one or more datastreams (CSV)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Rows `id,epoch_ms,value`, no header, grouped by datastream, oldest first",
            "content": {"text/csv": {"example": "65603,1547043555943,25.04\n"}},
        },
        400: {"description": "Bad parameters: `errors` says which and why"},
        401: {"description": "No valid token"},
        403: {"description": "The token may not read one of the datastreams"},
        404: {"description": "An id names no datastream"},
    },
)
def datastream_values(request: Request) -> StreamingResponse:
    """`ids=1,2,3` with `latest=true`, or with `from` and `to` (UTC, both inclusive)."""
    principal = token(request, READ)
    ids, span = _parameters(request)
    found = values.datastream_values(platform(request), caller=principal, ids=ids, span=span)
    return StreamingResponse(_csv(found), media_type="text/csv; charset=UTF-8", headers=_HEADERS)


def _parameters(request: Request) -> tuple[list[int], tuple[int, int] | None]:
    """The ids, and the span in UTC ms (None for the latest values); 400 with every problem."""
    q = request.query_params
    problems: dict[str, list[str]] = {}
    ids: list[int] = []
    raw_ids = q.get("ids", "").strip()
    if not raw_ids:
        problems["ids"] = ["The ids field is required: a comma-separated list of datastream ids."]
    else:
        parts = [part.strip() for part in raw_ids.split(",") if part.strip()]
        read = [whole_number(part, largest=INTEGER_MAX) for part in parts]
        bad = [part for part, number in zip(parts, read, strict=True) if number is None]
        if bad:
            problems["ids"] = [f"The ids must be datastream ids (whole numbers); not: {', '.join(bad[:5])}."]
        elif len(parts) > MAX_IDS:
            problems["ids"] = [f"At most {MAX_IDS} ids per request."]
        else:
            ids = list(dict.fromkeys(n for n in read if n is not None))
    latest = q.get("latest")
    if latest is not None and latest.lower() not in ("true", "1", "false", "0"):
        problems["latest"] = ["The latest field must be true or false."]
    if latest is not None and latest.lower() in ("true", "1"):
        if problems:
            raise errors.invalid(problems)
        return ids, None
    span = [_moment(q.get(name), name, problems) for name in ("from", "to")]
    if span[0] is not None and span[1] is not None and span[0] > span[1]:
        problems["to"] = ["The to field must be a time at or after from."]
    if problems:
        raise errors.invalid(problems)
    return ids, (span[0], span[1])  # type: ignore[return-value]


def _moment(given: str | None, name: str, problems: dict[str, list[str]]) -> int | None:
    if given is None or not given.strip():
        problems[name] = [f"The {name} field is required unless latest=true (UTC, YYYY-MM-DDTHH:MM:SS)."]
        return None
    m = _MOMENT.fullmatch(given.strip())
    try:
        if m is None:
            raise ValueError
        year, month, day, hour, minute, second, millis = m.groups()
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:
        problems[name] = [f"The {name} field `{given[:40]}` is not a UTC time like 2018-02-01T12:30:00."]
        return None
    return to_ms(moment) + int((millis or "0").ljust(3, "0"))


def _csv(found: Iterator[tuple[Datastream, values.Page]]) -> Iterator[bytes]:
    """The rows, a page at a time (Starlette runs this iterator in a worker thread)."""
    for stream, pages in groupby(found, key=itemgetter(0)):
        line = _line_format(stream)
        for _, page in pages:
            yield "".join(map(line, page)).encode()


def _line_format(stream: Datastream) -> Any:
    """A function from (ts, stored value) to the stream's CSV line."""
    head = f"{stream.id},"
    if stream.datatype is Datatype.FIXED:
        decimals = stream.decimals
        return lambda p: f"{head}{p[0]},{fixed_text(p[1], decimals)}\n"
    if stream.datatype is Datatype.DOUBLE:
        return lambda p: f"{head}{p[0]},{p[1]!r}\n"
    if stream.datatype is Datatype.STRING:
        return lambda p: f"{head}{p[0]},{_quoted(p[1])}\n"
    return lambda p: f"{head}{p[0]},{p[1]}\n"


def _quoted(text: str) -> str:
    """A CSV field as RFC 4180 writes it: quoted when it holds a comma, quote or line break."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
