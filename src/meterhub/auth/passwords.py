"""Passwords, hashed with argon2id."""

from __future__ import annotations

import threading
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost

# Each hash or check holds the library's 64 MiB of memory while it runs: a flood of logins would
# take 64 MiB per connection (40 connections: 1.1 GB). At most this many run at once; the others
# wait their turn, so memory stays flat and a login costs time instead.
MAX_HASHING = 2
_hashing = threading.BoundedSemaphore(MAX_HASHING)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    with _hashing:
        return _hasher.hash(password)


def verify_password(
    password_hash: str,
    password: str,
    *,
    first: Callable[[], None] | None = None,
    wrong: Callable[[], None] | None = None,
) -> bool:
    """Whether the password matches the hash. `first` runs in the hashing slot before the check and
    `wrong` in it after a failed one (a rate limit: logins that queued up are then counted one after
    another, a failure before the next login takes the slot, not all let in)."""
    with _hashing:
        if first is not None:
            first()
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            if wrong is not None:
                wrong()
            return False
