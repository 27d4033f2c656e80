"""Signed, expiring URLs (the embedded stand-in for S3's presigned upload URLs)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path


def signature(secret: bytes, subject: str, expires_s: int) -> str:
    """The HMAC-SHA256 of what the URL grants and until when."""
    return hmac.new(secret, f"{subject}\n{expires_s}".encode(), hashlib.sha256).hexdigest()


def valid(secret: bytes, subject: str, expires: str, given: str) -> bool:
    """Whether the signature is right (compared in constant time) and not yet expired."""
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(signature(secret, subject, int(expires)), given)


def server_key(path: Path) -> bytes:
    """The server's signing key: made once, kept (owner-readable only) in the data directory."""
    if path.exists():
        return path.read_bytes()
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
