"""What the app holds for every request's handler: the platform it runs on."""

from __future__ import annotations

from starlette.requests import Request

from meterhub.platform import Platform


def platform(request: Request) -> Platform:
    """The platform the app runs on (app.py's lifespan puts it in the app's state)."""
    return request.app.state.platform  # type: ignore[no-any-return]  # (Starlette's state is untyped)
