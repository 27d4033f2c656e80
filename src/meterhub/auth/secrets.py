"""API keys and tokens: random, shown once, stored as a SHA-256 digest, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

# DSMR-reader generates 64 characters from A-Z and 0-9; its dataloggers expect keys like that.
_ALPHABET = string.ascii_uppercase + string.digits


def new_key(length: int = 64) -> str:
    """A fresh random API key."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def digest(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def same_digest(stored_digest: str, presented_digest: str) -> bool:
    """Constant-time comparison of a stored digest with that of a presented key."""
    return hmac.compare_digest(stored_digest, presented_digest)
