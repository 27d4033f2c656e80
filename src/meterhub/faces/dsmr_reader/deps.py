"""Who is calling the DSMR-reader face, and for which site."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from meterhub.auth.access import Access, Principal
from meterhub.core.entities import Site
from meterhub.core.errors import Forbidden, Unauthorized
from meterhub.faces.dsmr_reader import drf, errors
from meterhub.services import callers
from meterhub.web.answers import FaceError
from meterhub.web.app_state import platform


@dataclass(frozen=True)
class Caller:
    principal: Principal
    site: Site


def presented_key(request: Request) -> str:
    """The key from X-AUTHKEY or `Authorization: Token <key>`, whichever is present. (Not
    `auth.credentials.presented`: DSMR-reader takes no Basic, Bearer or session token, and
    X-AUTHKEY before Authorization.)"""
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
    try:
        found = callers.authenticate_key(p, key=presented_key(request))
    except Unauthorized:
        raise _refuse(version, "Invalid auth key") from None
    principal = found.principal
    # A DSMR-reader key is one installation's: the site it is bound to, or its owner's only one.
    site_id = principal.default_site_id
    if site_id is None and len(principal.sites) == 1:
        site_id = next(iter(principal.sites))
    if site_id is None:
        raise _refuse(
            version, "This key is not bound to one site: create one with `meterhub key create --site ID`"
        )
    try:
        site = callers.site(p, caller=principal, site_id=site_id, needed=needed, bound=found.site)
    except Forbidden as exc:
        raise _refuse(version, f"Invalid auth key: {exc}") from None
    # The real service checks its (global) switch before the key; here the switch is per site,
    # so the key must first say which site is meant.
    if not site.api_enabled:
        if version == 1:
            raise errors.v1(405, "API is disabled", Allow="POST")
        raise errors.v2_detail(403, "API is disabled")
    return Caller(principal, site)


def _refuse(version: int, text: str) -> FaceError:
    return errors.v1(403, text) if version == 1 else errors.v2_detail(403, text)
