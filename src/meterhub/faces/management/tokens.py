"""API tokens of the signed-in user: created (shown once), listed, revoked."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.requests import Request

from meterhub.faces.management.deps import RESPONSES, Caller
from meterhub.faces.management.models import NewToken, TokenId, TokenIn, TokenOut, TokenPatch
from meterhub.services import tokens
from meterhub.services.tokens import Token
from meterhub.web.app_state import platform

router = APIRouter(prefix="/api/meterhub/v1", tags=["meterhub: API tokens"], responses=RESPONSES)


def _out(t: Token) -> dict[str, object]:
    c = t.credential
    return {
        "id": c.id,
        "name": c.name,
        "starts_with": c.hint,
        "permissions": sorted(c.scopes),
        "datasets": t.datasets,
        "site_id": c.site_id,
        "expires_ms": c.expires_ms,
        "revoked_ms": c.revoked_ms,
        "created_ms": c.created_ms,
    }


@router.get("/tokens", response_model=list[TokenOut], summary="Your tokens and keys (never the secrets)")
def list_tokens(request: Request, who: Caller) -> list[TokenOut]:
    return [TokenOut.model_validate(_out(t)) for t in tokens.list_tokens(platform(request), caller=who)]


@router.post("/tokens", status_code=201, response_model=NewToken, summary="Create a token (shown once)")
def create_token(body: TokenIn, request: Request, who: Caller) -> NewToken:
    issued = tokens.issue_token(
        platform(request),
        caller=who,
        name=body.name,
        scopes=body.permissions,
        datasets=body.datasets,
        site_id=body.site_id,
        expires_days=body.expires_days,
    )
    return NewToken.model_validate({**_out(issued), "token": issued.token})


@router.patch("/tokens/{token_id}", response_model=TokenOut, summary="Rename a token or change its datasets")
def update_token(token_id: TokenId, body: TokenPatch, request: Request, who: Caller) -> TokenOut:
    changed = tokens.change_token(
        platform(request), caller=who, token_id=token_id, name=body.name, datasets=body.datasets
    )
    return TokenOut.model_validate(_out(changed))


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token at once")
def revoke_token(token_id: TokenId, request: Request, who: Caller) -> Response:
    tokens.revoke_token(platform(request), caller=who, token_id=token_id)
    return Response(status_code=204)
