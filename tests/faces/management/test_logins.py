"""Signing in with a password: failed logins are limited per account and per address (429 with
Retry-After), and a flood of logins hashes a few passwords at a time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from meterhub.auth import passwords
from meterhub.platform import Platform
from tests.conftest import Account, Server, make_account

API = "/api/meterhub/v1"
PASSWORD = "correct horse"  # tests.conftest.make_account's


def test_an_account_is_locked_after_ten_failed_logins_and_others_still_sign_in(
    server: Server, platform: Platform, account: Account
) -> None:
    make_account(platform, email="other@example.org")
    client = server.client()
    answers = [client.get(f"{API}/datasets", auth=("owner@example.org", "wrong")) for _ in range(11)]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    locked = answers[-1]
    assert 0 < int(locked.headers["retry-after"]) <= 60
    assert locked.json() == {"detail": "too many failed logins; try again later"}
    # Even the right password waits: the guesser must not learn it was right.
    assert client.get(f"{API}/datasets", auth=("owner@example.org", PASSWORD)).status_code == 429
    assert client.get(f"{API}/datasets", auth=("other@example.org", PASSWORD)).status_code == 200


def test_an_address_is_limited_after_thirty_failed_logins_of_any_accounts(
    server: Server, account: Account
) -> None:
    client = server.client()
    answers = [client.get(f"{API}/datasets", auth=(f"guess{i}@example.org", "x")) for i in range(31)]
    assert [a.status_code for a in answers] == [401] * 30 + [429]
    assert int(answers[-1].headers["retry-after"]) > 0
    assert client.get(f"{API}/datasets", auth=("owner@example.org", PASSWORD)).status_code == 429


class _CountingHasher:
    """Stands in for argon2's hasher, recording how many checks run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify(self, _hash: str, _password: str) -> bool:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self._lock:
            self.running -= 1
        return False


def test_a_flood_of_logins_checks_at_most_max_hashing_passwords_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = _CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", counting)
    with ThreadPoolExecutor(40) as pool:
        list(pool.map(lambda _: passwords.verify_password("$argon2id$…", "guess"), range(40)))
    assert counting.most == passwords.MAX_HASHING


def test_a_flood_of_unknown_emails_is_answered_and_limited(server: Server, account: Account) -> None:
    def guess(i: int) -> int:
        return server.client().get(f"{API}/datasets", auth=(f"nobody{i}@example.org", "x")).status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(guess, range(40)))
    # A failure counts before its slot is free again, so only those in the other slots when the
    # thirtieth failed still finish: at most MAX_HASHING - 1 more.
    failed = statuses.count(401)
    assert 30 <= failed <= 30 + passwords.MAX_HASHING - 1 and statuses.count(429) == 40 - failed
