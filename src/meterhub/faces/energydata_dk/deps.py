"""Who is calling the energydata.dk face: the bearer token, checked for the permission asked."""

from __future__ import annotations

from starlette.requests import Request

from meterhub.auth.access import Principal, require_scope
from meterhub.core.errors import Forbidden, Unauthorized
from meterhub.faces.energydata_dk import errors
from meterhub.services import callers
from meterhub.web.app_state import platform

# energydata.dk's token permissions, as meterhub's scopes.
READ, MQTT, IMPORT = "read", "mqtt-pubsub", "batch-import"


def bearer(request: Request) -> str:
    """The token of `Authorization: Bearer <token>` (empty when there is none)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def token(request: Request, permission: str) -> Principal:
    """The principal behind the request's token; 401 without a valid one, 403 without the permission."""
    try:
        principal = callers.authenticate_key(platform(request), key=bearer(request)).principal
    except Unauthorized:
        raise errors.problem(401, errors.UNAUTHENTICATED) from None
    try:
        require_scope(principal, permission)
    except Forbidden:
        raise errors.problem(
            403, f"This token lacks the '{permission}' permission; create a token that has it."
        ) from None
    return principal
