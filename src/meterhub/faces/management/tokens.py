"""API tokens of the signed-in user: created (shown once), listed, revoked."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import Connection
from starlette.requests import Request

from meterhub.auth import keys
from meterhub.auth.access import Access, Principal, require_dataset, require_site, require_within
from meterhub.core.entities import Credential
from meterhub.core.errors import Forbidden
from meterhub.faces.management.deps import RESPONSES, Caller, access_changed, platform
from meterhub.faces.management.models import NewToken, TokenId, TokenIn, TokenOut, TokenPatch
from meterhub.store import accounts, datasets

router = APIRouter(prefix="/api/meterhub/v1", tags=["meterhub: API tokens"], responses=RESPONSES)


def _out(c: Credential, licensed: list[int]) -> dict[str, object]:
    return {
        "id": c.id,
        "name": c.name,
        "starts_with": c.hint,
        "permissions": sorted(c.scopes),
        "datasets": licensed,
        "site_id": c.site_id,
        "expires_ms": c.expires_ms,
        "revoked_ms": c.revoked_ms,
        "created_ms": c.created_ms,
    }


@router.get("/tokens", response_model=list[TokenOut], summary="Your tokens and keys (never the secrets)")
def list_tokens(request: Request, who: Caller) -> list[TokenOut]:
    with platform(request).db.reader.connect() as conn:
        found = accounts.list_credentials(conn, user_id=who.user_id)
        licensed = accounts.licensed_datasets(conn, [c.id for c in found])
    return [
        TokenOut.model_validate(_out(c, licensed.get(c.id, [])))
        for c in found
        if _within(who, c, licensed.get(c.id, []))
    ]


@router.post("/tokens", status_code=201, response_model=NewToken, summary="Create a token (shown once)")
def create_token(body: TokenIn, request: Request, who: Caller) -> NewToken:
    unknown = set(body.permissions) - set(keys.SCOPES)
    if unknown or not body.permissions:
        raise HTTPException(422, f"permissions are some of {', '.join(keys.SCOPES)}; not {sorted(unknown)}")
    expires = keys.expires_after(body.expires_days)
    with platform(request).db.writer.begin() as conn:
        require_within(who, scopes=body.permissions, site_id=body.site_id, datasets=body.datasets)
        if body.site_id is not None:
            require_site(who, body.site_id, Access.READ)
        _may_license(conn, who, body.datasets)
        key_id, key = keys.issue_key(
            conn,
            user_id=who.user_id,
            site_id=body.site_id,
            scopes=body.permissions,
            name=body.name,
            expires_ms=expires,
            datasets=body.datasets,
        )
        if (broker := platform(request).broker_accounts) is not None:
            broker.issued(conn, key)  # refused by the broker: no token either
        created = _own(conn, who, key_id)
    return NewToken.model_validate({**_out(created, sorted(set(body.datasets))), "token": key})


@router.patch("/tokens/{token_id}", response_model=TokenOut, summary="Rename a token or change its datasets")
def update_token(token_id: TokenId, body: TokenPatch, request: Request, who: Caller) -> TokenOut:
    with platform(request).db.writer.begin() as conn:
        found = _own(conn, who, token_id)
        if body.datasets is not None:
            require_within(who, scopes=found.scopes, site_id=found.site_id, datasets=body.datasets)
            _may_license(conn, who, body.datasets)
            accounts.license_datasets(conn, credential_id=token_id, dataset_ids=body.datasets)
        if body.name is not None:
            accounts.rename_credential(conn, credential_id=token_id, name=body.name)
        found = _own(conn, who, token_id)
        licensed = accounts.licensed_datasets(conn, [token_id]).get(token_id, [])
    access_changed(request)
    return TokenOut.model_validate(_out(found, licensed))


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token at once")
def revoke_token(token_id: TokenId, request: Request, who: Caller) -> Response:
    with platform(request).db.writer.begin() as conn:
        _own(conn, who, token_id)
        accounts.revoke_credential(conn, credential_id=token_id)
    access_changed(request)
    return Response(status_code=204)


def _own(conn: Connection, who: Principal, token_id: int) -> Credential:
    """One of the caller's own tokens within its limits; 404 for anyone else's, and for the user's
    tokens that reach further than the calling one (it may not know them)."""
    found = [c for c in accounts.list_credentials(conn, user_id=who.user_id) if c.id == token_id]
    licensed = accounts.licensed_datasets(conn, [token_id]).get(token_id, [])
    if not found or not _within(who, found[0], licensed):
        raise HTTPException(404, f"You have no token with id {token_id}")
    return found[0]


def _within(who: Principal, c: Credential, licensed: list[int]) -> bool:
    try:
        require_within(who, scopes=c.scopes, site_id=c.site_id, datasets=licensed)
    except Forbidden:
        return False
    return True


def _may_license(conn: Connection, who: Principal, dataset_ids: list[int]) -> None:
    """A token may be licensed only for datasets its owner can read."""
    for dataset_id in dataset_ids:
        found = datasets.get_dataset(conn, dataset_id)
        require_dataset(who, site_id=found.site_id, dataset_id=found.id, needed=Access.READ)
