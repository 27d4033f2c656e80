"""The CLI's tables in an 80-column terminal: every line fits, dates and prices are never cut.
(The commands run in this process, on a console 80 columns wide: a child process each would spend
its time importing.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from meterhub import cli

Run = Callable[..., str]


@pytest.fixture
def run80(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """A `meterhub` command on a data directory of the test's, and what it printed."""
    monkeypatch.setattr(cli, "console", Console(width=80))

    def run(*args: str) -> str:
        cli.main([*args, "--data-dir", str(tmp_path)])
        return capsys.readouterr().out

    return run


def test_every_list_fits_80_columns_with_its_values_whole(run80: Run) -> None:
    run80("user", "add", "ann@example.org", "--password", "s3cret-enough")
    run80("site", "add", "Flat", "--owner", "ann@example.org", "--timezone", "Europe/Brussels")
    run80("dataset", "add", "weather-station-in-the-back-garden", "--site", "1")
    run80("stream", "add", "1", "outdoor/temperature", "--type", "double", "--unit", "°C")
    every_scope = [
        arg for scope in ("read", "write", "mqtt-pubsub", "batch-import") for arg in ("--scope", scope)
    ]
    run80("key", "create", "--user", "ann@example.org", "--site", "1", *every_scope, "--dataset", "1")
    prices = ["--import-t1", "0.2145", "--import-t2", "0.25", "--export-t1", "0.07", "--export-t2", "0.07"]
    run80(
        "tariff",
        "add",
        "--site",
        "1",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
        *prices,
        "--gas",
        "1.20",
        "--fixed-daily",
        "0.85",
        "--description",
        "Vattenfall variabel, one year fixed",
    )
    tables = {
        "tariff": run80("tariff", "list", "--site", "1"),
        "key": run80("key", "list"),
        "site": run80("site", "list"),
        "user": run80("user", "list"),
        "dataset": run80("dataset", "list"),
        "stream": run80("stream", "list"),
        "meter": run80("meter", "list"),
        "device": run80("device", "list"),
    }
    for name, table in tables.items():
        assert max(len(line) for line in table.splitlines()) <= 80, f"{name} list:\n{table}"
    contract = tables["tariff"].splitlines()[2].split()
    assert contract[:9] == ["1", "2026-01-01", "2026-12-31", "0.2145", "0.25", "0.07", "0.07", "1.2", "0.85"]
    assert "Vattenfall" in tables["tariff"] and "batch-import," in tables["key"]
