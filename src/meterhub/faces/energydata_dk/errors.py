"""Errors in energydata.dk's shape: JSON `{"message": …}`, with `errors` per parameter on a 400.

energydata.dk is a Laravel application; its clients send `Accept: application/json` so that
errors come back as Laravel renders them: a message, and for bad input the problems by field.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.core import errors
from meterhub.web.answers import FaceError, json_errors, retry_headers, status_of

UNAUTHENTICATED = "Unauthenticated."
# The OpenAPI responses of the face's routes.
RESPONSES = json_errors({"message": UNAUTHENTICATED})


def problem(status: int, message: str, **headers: str) -> FaceError:
    """An error answer with its message."""
    return FaceError(JSONResponse({"message": message}, status_code=status, headers=headers or None))


def invalid(problems: dict[str, list[str]]) -> FaceError:
    """400 with every problem, by parameter (the first one is the message)."""
    first = next(iter(problems.values()))[0]
    more = sum(len(p) for p in problems.values()) - 1
    message = first if not more else f"{first} (and {more} more error{'s' if more > 1 else ''})"
    return FaceError(JSONResponse({"message": message, "errors": problems}, status_code=400))


def domain_error(_request: Request, exc: errors.MeterhubError) -> Response:
    """A domain error in the face's shape."""
    status = status_of(exc)
    return problem(status, UNAUTHENTICATED if status == 401 else str(exc), **retry_headers(exc)).response


def http_error(_request: Request, exc: HTTPException) -> Response:
    """Routing errors (404, 405) in the face's shape."""
    return problem(exc.status_code, str(exc.detail), **(exc.headers or {})).response


def validation_error(_request: Request, _exc: RequestValidationError) -> Response:
    """A path whose id is no number, or past any id, names no import: 404, as Laravel's route binding
    answers (FastAPI would answer 422 in its own shape)."""
    return problem(404, "Not Found.").response
