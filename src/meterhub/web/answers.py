"""An answer a face decided on while handling a request, raised to leave the handler at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from meterhub.core import errors

# HTTP's usual status for each domain error; a face overrides where its service answers otherwise.
_STATUS: Mapping[type[errors.MeterhubError], int] = {
    errors.Invalid: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}


# What any route of a face may answer besides its success: bad input, no or the wrong key, an
# unknown id, a contradiction, a body too slow or too large, too many requests, a full disk.
ERROR_STATUSES = (400, 401, 403, 404, 405, 408, 409, 413, 422, 429, 503)


def error_responses(
    content: Mapping[str, Any], statuses: Iterable[int] = ERROR_STATUSES
) -> dict[int | str, Any]:
    """OpenAPI `responses` for a router: each error status with the face's error body, so that its
    document lists every answer its server gives."""
    return {
        status: {"description": HTTPStatus(status).phrase, "content": dict(content)} for status in statuses
    }


def json_errors(example: Mapping[str, Any]) -> dict[int | str, Any]:
    """error_responses for a face whose errors are a JSON object like the example."""
    return error_responses({"application/json": {"schema": {"type": "object"}, "example": dict(example)}})


class FaceError(Exception):
    """An answer decided inside a face (status and body already in that service's shape)."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def face_error(_request: Request, exc: Exception) -> Response:
    """Send the answer the face decided on."""
    assert isinstance(exc, FaceError)
    return exc.response


def status_of(exc: errors.MeterhubError, overrides: Mapping[type[errors.MeterhubError], int] = {}) -> int:
    """The HTTP status of a domain error, as a face answers it."""
    statuses = {**_STATUS, **overrides}
    return next((statuses[cls] for cls in type(exc).__mro__ if cls in statuses), 400)


def retry_headers(exc: errors.MeterhubError) -> dict[str, str]:
    """Retry-After for a rate-limited request or a full disk (none for other errors)."""
    retry = isinstance(exc, errors.RateLimited | errors.StorageFull)
    return {"Retry-After": str(exc.retry_after_s)} if retry else {}  # type: ignore[attr-defined]
