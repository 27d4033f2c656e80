"""Login sessions: sign in with email and password for a session token, sign out."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from starlette.requests import Request

from meterhub.auth import credentials
from meterhub.faces.management.deps import RESPONSES, Caller, address, presented
from meterhub.faces.management.models import NewSession, SessionIn
from meterhub.web.app_state import platform

router = APIRouter(prefix="/api/meterhub/v1", tags=["meterhub: sessions"], responses=RESPONSES)


@router.post(
    "/sessions",
    status_code=201,
    response_model=NewSession,
    summary="Sign in: a session token for Authorization: Bearer (an hour; 30 days with remember)",
)
def log_in(body: SessionIn, request: Request) -> NewSession:
    issued = platform(request).sessions.log_in(
        email=body.email, password=body.password, remember=body.remember, address=address(request)
    )
    return NewSession(token=issued.token, expires_at=issued.expires_at)


@router.delete("/sessions/current", status_code=204, summary="Sign out: the session token is refused at once")
def log_out(request: Request, _who: Caller) -> Response:
    given = presented(request)
    if not isinstance(given, credentials.SessionToken):
        raise HTTPException(404, "This request was not signed with a session token: there is none to end")
    platform(request).sessions.log_out(given.token)
    return Response(status_code=204)
