"""Request bodies are bounded for every face: read here, with a size cap, a depth cap for JSON and a
time limit, before any route sees them; a refusal is rendered by the face that owns the path.

The telegram route of the fast lane (meterhub.web.fast_lane) reads its body with the same `capped`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meterhub.core.errors import Invalid, MeterhubError, TooLarge

log = logging.getLogger(__name__)

# Deeper JSON is no input any face takes; parsers and error renderers recurse on it.
MAX_JSON_DEPTH: Final = 32
# A client that sends nothing for this long in the middle of a body is not going to finish it.
BODY_IDLE_S: Final = 30.0
_BRACKETS: Final = bytes(b for b in range(256) if b not in b'[]{}"\\')


async def capped(request: Request, limit: int) -> bytes:
    """The whole body, refusing it as soon as it is larger than limit bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"Request body too large (limit {limit} bytes)")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"Request body too large (limit {limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def json_depth(raw: bytes, *, beyond: int = MAX_JSON_DEPTH) -> int:
    """How deeply the JSON text nests arrays and objects (counting stops past `beyond`)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw.translate(None, _BRACKETS):  # only brackets, quotes and backslashes are left
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > beyond:
                    break
        elif byte in b"]}":
            depth -= 1
    return deepest


Refuse = Callable[[Request, MeterhubError], Awaitable[Response]]


class BodyGuard:
    """ASGI middleware: reads each body (at most `max_bytes`) before the app does, then hands it on.

    Paths matching `streamed` (file uploads with their own, larger limit) are passed through.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, refuse: Refuse, streamed: tuple[re.Pattern[str], ...] = ()
    ) -> None:
        self._app = app
        self._max_bytes = max_bytes
        self._refuse = refuse
        self._streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(p.fullmatch(scope["path"]) for p in self._streamed):
            await self._app(scope, receive, send)
            return
        request = Request(scope, _idle_limited(receive))
        try:
            body = await capped(request, self._max_bytes)
            content_type = request.headers.get("content-type", "")
            if "json" in content_type and json_depth(body) > MAX_JSON_DEPTH:
                raise Invalid(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        except ClientDisconnect:
            # Nobody is left to answer; one line, not a traceback.
            log.info("%s %s: the client went away before its body ended", scope["method"], scope["path"])
            return
        except TimeoutError:
            log.info("%s %s: no body for %.0f s; closed", scope["method"], scope["path"], BODY_IDLE_S)
            await self._send_refusal(request, MeterhubError("Request body timed out"), scope, receive, send, 408)
            return
        except MeterhubError as exc:
            await self._send_refusal(request, exc, scope, receive, send)
            return
        await self._app(scope, _replay(body, receive), send)

    async def _send_refusal(
        self,
        request: Request,
        exc: MeterhubError,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int | None = None,
    ) -> None:
        response = await self._refuse(request, exc)
        if status is not None:
            response.status_code = status
        # The rest of the body is not read: the connection cannot carry another request.
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _idle_limited(receive: Receive) -> Receive:
    async def next_message() -> Message:
        return await asyncio.wait_for(receive(), BODY_IDLE_S)

    return next_message


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def next_message() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return next_message
