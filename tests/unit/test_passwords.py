"""Passwords are kept as argon2id hashes and checked against them."""

from __future__ import annotations

from meterhub.auth.passwords import hash_password, verify_password


def test_argon2id_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")
    assert not verify_password("not a hash", "anything")
