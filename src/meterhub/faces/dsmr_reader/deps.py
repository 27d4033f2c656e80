"""Who is calling the DSMR-reader face, and for which site."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from meterhub.auth import keys
from meterhub.auth.access import Access, Principal, require_dataset, require_scope
from meterhub.core.entities import Site
from meterhub.core.errors import Forbidden, Unauthorized
from meterhub.faces.dsmr_reader import drf, errors
from meterhub.platform import Platform
from meterhub.store import accounts, meters


@dataclass(frozen=True)
class Caller:
    principal: Principal
    site: Site


def platform(request: Request) -> Platform:
    """The platform the app runs on."""
    return request.app.state.platform  # type: ignore[no-any-return]


def presented_key(request: Request) -> str:
    """The key from X-AUTHKEY or `Authorization: Token <key>`, whichever is present."""
    key = request.headers.get("x-authkey")
    if key:
        return key
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "token" else ""


def caller(request: Request, *, version: int, needed: Access) -> Caller:
    """The calling key's principal and site, or the face's 403/405 when it may not call."""
    if version == 2:
        drf.negotiated(request)
    p = platform(request)
    with p.db.reader.connect() as conn:
        try:
            found = keys.authenticate(conn, presented_key(request))
        except Unauthorized:
            raise _refuse(version, "Invalid auth key") from None
        principal = found.principal
        site_id = principal.default_site_id
        if site_id is None and len(principal.sites) == 1:
            site_id = next(iter(principal.sites))
        if site_id is None:
            raise _refuse(
                version, "This key is not bound to one site: create one with `meterhub key create --site ID`"
            )
        try:
            # (looked up only for a licensed token: a telegram a second should not pay for it)
            meter_dataset = meters.meter_dataset(conn, site_id) if principal.datasets is not None else None
            require_dataset(principal, site_id=site_id, dataset_id=meter_dataset, needed=needed)
            require_scope(principal, "write" if needed >= Access.WRITE else "read")
        except Forbidden as exc:
            raise _refuse(version, f"Invalid auth key: {exc}") from None
        site = (
            found.site
            if found.site is not None and found.site.id == site_id
            else accounts.get_site(conn, site_id)
        )
    # The real service checks its (global) switch before the key; here the switch is per site,
    # so the key must first say which site is meant.
    if not site.api_enabled:
        if version == 1:
            raise errors.v1(405, "API is disabled", Allow="POST")
        raise errors.v2_detail(403, "API is disabled")
    return Caller(principal, site)


def _refuse(version: int, text: str) -> errors.FaceError:
    return errors.v1(403, text) if version == 1 else errors.v2_detail(403, text)
