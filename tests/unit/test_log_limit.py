"""A flood of one kind of log line becomes one line a minute, saying how many it stands for."""

from __future__ import annotations

import logging

import pytest

from meterhub.core import log_limit
from meterhub.core.log_limit import LimitedLog

log = logging.getLogger("meterhub.test_log_limit")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == log.name]


def test_a_flood_is_one_line_a_minute_and_the_next_counts_what_was_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=log.name)
    clock = Clock()
    limited = LimitedLog(clock=clock)
    for i in range(533):
        limited.log(log, logging.WARNING, "dataset 1: not JSON", "message %d is not JSON", i)
        clock.now += 0.1  # 53.3 s in all
    assert lines(caplog) == ["message 0 is not JSON"]
    clock.now += 10
    limited.log(log, logging.WARNING, "dataset 1: not JSON", "message %d is not JSON", 533)
    assert lines(caplog)[1:] == ["message 533 is not JSON … and 532 more like it in the last 63 s"]


def test_each_key_has_its_own_minute(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    limited = LimitedLog(clock=Clock())
    for key in ("dataset 1: not JSON", "dataset 1: seconds", "dataset 2: not JSON"):
        limited.log(log, logging.INFO, key, key)
        limited.log(log, logging.INFO, key, key)
    assert lines(caplog) == ["dataset 1: not JSON", "dataset 1: seconds", "dataset 2: not JSON"]


def test_a_line_after_a_quiet_minute_says_nothing_was_held_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    clock = Clock()
    limited = LimitedLog(clock=clock)
    limited.log(log, logging.INFO, "k", "first")
    clock.now += 60
    limited.log(log, logging.INFO, "k", "second")
    assert lines(caplog) == ["first", "second"]


def test_many_keys_are_forgotten_once_their_minute_is_over(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_limit, "MAX_KEYS", 3)
    caplog.set_level(logging.INFO, logger=log.name)
    clock = Clock()
    limited = LimitedLog(clock=clock)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        limited.log(log, logging.INFO, address, "refused %s", address)
    clock.now += 60
    limited.log(log, logging.INFO, "10.0.0.4", "refused %s", "10.0.0.4")
    assert len(limited._seen) == 1  # the three older ones went
    limited.log(log, logging.INFO, "10.0.0.4", "refused %s", "10.0.0.4")
    assert lines(caplog).count("refused 10.0.0.4") == 1  # and the new one is still limited
