"""DSMR-reader 5.11 `dsmr_api/tests/v2/test_application.py`, classes `TestVersion` and
`TestMonitoring`, translated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tests.conftest import Account, Server


def test_version_get(server: Server, account: Account) -> None:
    result = server.client(account.key).get("/api/v2/application/version").json()
    assert result["version"] == "5.11.0"  # settings.DSMRREADER_RAW_VERSION[:3] of 5.11.0


def test_monitoring_get(server: Server, account: Account, now: Callable[[datetime], None]) -> None:
    """Upstream mocks the monitoring service to report one issue ("source", "description", since
    2020-01-15 12:34:56 UTC). meterhub's one issue of a site without readings is its real
    counterpart, dated now, so the clock is set to that moment."""
    now(datetime(2020, 1, 15, 12, 34, 56, 0, UTC))

    result = server.client(account.key).get("/api/v2/application/monitoring").json()

    assert result["problems"] == 1
    assert result["details"][0]["source"] == "dsmr_datalogger.apps"
    assert result["details"][0]["description"] == "Waiting for the first reading ever"
    assert result["details"][0]["since"] == "2020-01-15T13:34:56+01:00"
