"""The clock upstream's tests mock, for the translated ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from meterhub.faces.dsmr_reader import v2_application, v2_consumption


class _Frozen(datetime):
    at: datetime

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return cls.at.astimezone(tz)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Upstream's `mock.patch("django.utils.timezone.now")`: `now(moment)` sets the clock the face's
    today, live and monitoring answers read (meterhub has no clock setting; the server runs in this
    process, so its modules' `datetime` is swapped for the test)."""

    def set_now(moment: datetime) -> None:
        frozen = type("Frozen", (_Frozen,), {"at": moment})
        for module in (v2_consumption, v2_application):
            monkeypatch.setattr(module, "datetime", frozen)

    return set_now
