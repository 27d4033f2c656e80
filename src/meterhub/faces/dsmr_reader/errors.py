"""Domain errors in DSMR-reader's shapes: plain text on v1, DRF's JSON on v2."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse

from meterhub.core import errors
from meterhub.web.answers import FaceError, error_responses, json_errors, retry_headers, status_of

# v1's answers to a refused telegram begin with upstream's words, which log filters and scripts
# match; meterhub's explanation follows.
INVALID_DATA = "Invalid data"
PARSE_FAILED = "Failed to parse telegram"

# The OpenAPI responses of v1's routes (plain text) and v2's (DRF's JSON).
V1_RESPONSES = error_responses(
    {"text/plain": {"schema": {"type": "string"}, "example": f"{PARSE_FAILED}: …"}}
)
V2_RESPONSES = json_errors({"detail": "Invalid auth key"})


def v1(status: int, text: str, **headers: str) -> FaceError:
    """A v1 plain-text answer."""
    return FaceError(PlainTextResponse(text, status_code=status, headers=headers or None))


def v2(status: int, body: Any, **headers: str) -> FaceError:
    """A v2 JSON answer."""
    return FaceError(JSONResponse(body, status_code=status, headers=headers or None))


def v2_detail(status: int, detail: str, **headers: str) -> FaceError:
    """DRF's {"detail": ...} error."""
    return v2(status, {"detail": detail}, **headers)


def field_errors(problems: dict[str, list[str]]) -> FaceError:
    """DRF's validation error: 400 with {field: [messages]}."""
    return v2(400, problems)


def from_domain(exc: errors.MeterhubError, *, version: int) -> FaceError:
    """The face's answer to a domain error."""
    # DRF answers 403, not 401, when it sends no WWW-Authenticate.
    status = status_of(exc, {errors.Unauthorized: 403})
    headers = retry_headers(exc)
    return v1(status, str(exc), **headers) if version == 1 else v2_detail(status, str(exc), **headers)
