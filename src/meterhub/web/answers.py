"""An answer a face decided on while handling a request, raised to leave the handler at once."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response


class FaceError(Exception):
    """An answer decided inside a face (status and body already in that service's shape)."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def face_error(_request: Request, exc: Exception) -> Response:
    """Send the answer the face decided on."""
    assert isinstance(exc, FaceError)
    return exc.response
