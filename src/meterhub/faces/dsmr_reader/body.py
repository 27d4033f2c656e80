"""Request bodies: read with a size cap, decoded as a form or JSON the way DRF accepts them."""

from __future__ import annotations

import binascii
import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.requests import Request

from meterhub.core.errors import Invalid, TooLarge
from meterhub.faces.dsmr_reader import errors, locale
from meterhub.faces.dsmr_reader.forms import Submitted
from meterhub.web.bodies import capped

NOT_AN_OBJECT = "Invalid data. Expected a dictionary, but got {datatype}."


class _NotAnObject(Invalid):
    """A JSON body that is not an object (DRF names the Python type it became)."""

    def __init__(self, datatype: str) -> None:
        super().__init__(NOT_AN_OBJECT.format(datatype=datatype))
        self.datatype = datatype


async def fields(request: Request, limit: int) -> dict[str, Any]:
    """The submitted fields of a form (urlencoded or multipart) or a JSON object."""
    content_type = _kind(request)
    if content_type == "multipart/form-data":
        declared = request.headers.get("content-length")
        if not declared or not declared.isdigit() or int(declared) > limit:
            raise TooLarge(f"Request body too large (limit {limit} bytes)")
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raw = await capped(request, limit)
    if content_type == "application/json":
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Invalid(f"JSON parse error - {exc}") from None
        if not isinstance(data, dict):
            raise _NotAnObject(type(data).__name__)
        return data
    return urlencoded(raw)


def _kind(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def urlencoded(raw: bytes) -> dict[str, str]:
    """The fields of an application/x-www-form-urlencoded body (the last of repeated names)."""
    out: dict[str, str] = {}
    for part in raw.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            out[_text(_unquote(name))] = _text(_unquote(value))
    return out


# `%` not followed by two hex digits, or a bare `=`: the fast path below would read them wrongly.
_ODD = re.compile(rb"%(?![0-9A-Fa-f]{2})|=")


def _unquote(value: bytes) -> bytes:
    """Percent-decoding (`+` is a space), as urllib.parse.unquote_plus does.

    A telegram arrives with some 200 escapes; binascii's quoted-printable decoder undoes `=XX`
    in C, five times faster than urllib's loop, so `%` becomes `=` when that is safe.
    """
    value = value.replace(b"+", b" ")
    if b"%" not in value:
        return value
    if _ODD.search(value):
        return unquote_to_bytes(value)
    return binascii.a2b_qp(value.replace(b"%", b"="))


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        # Telegrams are ASCII; a latin-1 byte in a header must not make the whole post unreadable.
        return value.decode("latin-1")


async def v2_fields(request: Request, limit: int) -> Submitted:
    """The submitted fields, or DRF's answer to a body it cannot read (413 when too large)."""
    language = locale.of(request)
    try:
        return Submitted(await fields(request, limit), _kind(request) != "application/json", language)
    except TooLarge:
        raise errors.v2_detail(413, f"Request body too large (limit {limit} bytes)") from None
    except _NotAnObject as exc:
        raise errors.v2_detail(400, locale.say(language, NOT_AN_OBJECT, datatype=exc.datatype)) from None
    except Invalid as exc:
        raise errors.v2_detail(400, str(exc)) from None
