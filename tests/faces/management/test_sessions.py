"""Login sessions: a password gives a signed token good on every management route; signing out
refuses it at once, on every server of the database; tokens that expired, were altered or signed
otherwise are refused; logins per address are rate limited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt

from meterhub.app import create_app
from meterhub.auth import credentials
from meterhub.auth.sessions import signing_key
from meterhub.config import Settings
from meterhub.platform import Platform
from meterhub.store import datasets
from tests.conftest import Account, Server, make_account, serving

API = "/api/meterhub/v1"
PASSWORD = "correct horse"  # tests.conftest.make_account's
EMAIL = "owner@example.org"


def log_in(server: Server, email: str = EMAIL, **extra: object) -> httpx.Response:
    return server.client().post(f"{API}/sessions", json={"email": email, "password": PASSWORD, **extra})


def bearer(server: Server, token: str) -> httpx.Client:
    client = server.client()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_a_session_token_works_on_management_routes_like_a_password(
    server: Server, platform: Platform, account: Account
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    made = log_in(server)
    assert made.status_code == 201 and set(made.json()) == {"token", "expires_at"}
    expires = datetime.fromisoformat(made.json()["expires_at"])
    assert expires.utcoffset() == timedelta(0)
    assert before + timedelta(hours=1) <= expires <= datetime.now(UTC) + timedelta(hours=1)
    signed_in = bearer(server, made.json()["token"])
    created = signed_in.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "weather"})
    assert created.status_code == 201
    assert [d["topic_prefix"] for d in signed_in.get(f"{API}/datasets").json()] == ["weather"]
    basic = server.client().get(f"{API}/tokens", auth=(EMAIL, PASSWORD)).json()
    assert signed_in.get(f"{API}/tokens").json() == basic  # the user's principal, as with a password

    remembered = log_in(server, remember=True).json()
    days = datetime.fromisoformat(remembered["expires_at"]) - before
    assert timedelta(days=30) <= days <= timedelta(days=30, seconds=5)
    assert bearer(server, remembered["token"]).get(f"{API}/datasets").status_code == 200


def test_a_wrong_password_gets_no_session(server: Server, account: Account) -> None:
    wrong = server.client().post(f"{API}/sessions", json={"email": EMAIL, "password": "wrong"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "wrong email or password"}
    nobody = server.client().post(f"{API}/sessions", json={"email": "no@example.org", "password": "x"})
    assert nobody.status_code == 401
    nul = server.client().post(f"{API}/sessions", json={"email": EMAIL, "password": "a\x00b"})
    assert nul.status_code == 422


def test_signing_out_refuses_the_token_at_once_here_and_on_a_second_server(
    server: Server, platform: Platform, account: Account, database_url: str, tmp_path: Path
) -> None:
    # A second server process on the same database (and secret: the data directory's key).
    other = Platform(Settings(data_dir=tmp_path, database_url=database_url))
    try:
        with serving(create_app(other.settings, other), other) as second:
            token = log_in(server).json()["token"]
            here, there = bearer(server, token), bearer(second, token)
            assert here.get(f"{API}/datasets").status_code == there.get(f"{API}/datasets").status_code == 200
            kept = log_in(server).json()["token"]  # another session of the same user

            assert there.delete(f"{API}/sessions/current").status_code == 204
            for client in (here, there):
                refused = client.get(f"{API}/datasets")
                assert refused.status_code == 401 and "Bearer" in refused.headers["www-authenticate"]
            assert here.delete(f"{API}/sessions/current").status_code == 401
            assert bearer(server, kept).get(f"{API}/datasets").status_code == 200
    finally:
        other.close()


def test_signing_out_needs_a_session_token(server: Server, account: Account) -> None:
    with_password = server.client().delete(f"{API}/sessions/current", auth=(EMAIL, PASSWORD))
    assert with_password.status_code == 404 and "session token" in with_password.json()["detail"]
    assert server.client().delete(f"{API}/sessions/current").status_code == 401


def test_an_expired_session_is_refused(server: Server, platform: Platform, account: Account) -> None:
    issued = platform.sessions.log_in(
        email=EMAIL,
        password=PASSWORD,
        address="127.0.0.1",
        now=datetime.now(UTC) - timedelta(hours=1, seconds=1),
    )
    assert issued.expires_at < datetime.now(UTC)
    assert bearer(server, issued.token).get(f"{API}/datasets").status_code == 401


def _forged(claims: dict[str, object], header: dict[str, object]) -> str:
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part(header)}.{part(claims)}."


def _hs512(claims: dict[str, object], key: bytes) -> str:
    # Signed by hand: PyJWT warns of a 32-byte key for SHA-512 (and may refuse it one day).
    unsigned = _forged(claims, {"alg": "HS512", "typ": "JWT"})[:-1]
    mac = hmac.new(key, unsigned.encode(), hashlib.sha512).digest()
    return f"{unsigned}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_tampered_otherwise_signed_and_incomplete_tokens_are_refused(
    server: Server, platform: Platform, account: Account
) -> None:
    make_account(platform, email="other@example.org")
    token = log_in(server).json()["token"]
    header, claims, signature = token.split(".")
    decoded = jwt.decode(token, options={"verify_signature": False})
    key = signing_key(platform.secret)
    now = int(datetime.now(UTC).timestamp())
    full = {"sub": "2", "iat": now, "exp": now + 600, "jti": decoded["jti"]}

    as_other = {**decoded, "sub": "2"}
    payload = base64.urlsafe_b64encode(json.dumps(as_other).encode()).rstrip(b"=").decode()
    wrong = {
        "another user's id, the signature kept": f"{header}.{payload}.{signature}",
        "a signature altered": f"{header}.{claims}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}",
        "alg none": _forged(as_other, {"alg": "none", "typ": "JWT"}),
        "HS512 with the right key": _hs512(decoded, key),
        "signed by another secret": jwt.encode(decoded, signing_key(b"another server"), algorithm="HS256"),
        "the right key, a session never issued": jwt.encode(
            {**full, "jti": "made-up"}, key, algorithm="HS256"
        ),
        "the right key, another user's id": jwt.encode(full, key, algorithm="HS256"),
        "not a JWT at all": "a.b.c",
    }
    for claim in ("exp", "iat", "jti", "sub"):
        wrong[f"no {claim}"] = jwt.encode(
            {k: v for k, v in {**decoded}.items() if k != claim}, key, algorithm="HS256"
        )
    for what, forged in wrong.items():
        answer = bearer(server, forged).get(f"{API}/datasets")
        assert answer.status_code == 401, what
    assert bearer(server, token).get(f"{API}/datasets").status_code == 200


def test_a_users_session_sees_none_of_another_users_sites_and_datasets(
    server: Server, platform: Platform, account: Account
) -> None:
    b = make_account(platform, email="b@example.org")
    with platform.db.writer.begin() as conn:
        theirs = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="a-weather")
    a_session = bearer(server, log_in(server).json()["token"])
    b_session = bearer(server, log_in(server, email="b@example.org").json()["token"])
    assert [d["id"] for d in a_session.get(f"{API}/datasets").json()] == [theirs.id]
    assert b_session.get(f"{API}/datasets").json() == []
    assert b_session.get(f"{API}/datasets/{theirs.id}").status_code == 404
    assert b_session.get(f"{API}/datasets/{theirs.id}/datastreams").status_code == 404
    made = b_session.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "b-in-a"})
    assert made.status_code == 403
    usage = b_session.get(
        f"{API}/sites/{account.site_id}/usage",
        params={"period": "day", "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
    )
    assert usage.status_code == 404  # as a site that is not there
    a_tokens = {t["id"] for t in a_session.get(f"{API}/tokens").json()}
    b_tokens = {t["id"] for t in b_session.get(f"{API}/tokens").json()}
    assert a_tokens and b_tokens and not a_tokens & b_tokens
    assert b_session.get(f"{API}/sites/{b.site_id}/usage", params=usage.request.url.params).status_code == 200


def test_logins_for_a_session_are_limited_per_address(database_url: str, tmp_path: Path) -> None:
    limited = Platform(
        Settings(data_dir=tmp_path, database_url=database_url, session_logins_per_address="3/minute")
    )
    try:
        make_account(limited)
        with serving(create_app(limited.settings, limited), limited) as server:
            answers = [log_in(server).status_code for _ in range(3)]
            refused = log_in(server)
            assert answers == [201, 201, 201] and refused.status_code == 429
            assert 0 < int(refused.headers["retry-after"]) <= 60
            assert refused.json() == {"detail": "too many requests; try again later"}
    finally:
        limited.close()


def test_only_three_base64url_parts_are_read_as_a_session_token() -> None:
    for token in ("eyJh.eyJz.c2ln", "eyJh.eyJz."):  # the second as `alg: none` has it
        assert credentials.presented(f"Bearer {token}") == credentials.SessionToken(token)
    # Anything else is taken for an API key (and is unknown as one).
    for key in ("a.b", "a.b.c.d", "ABC.DEF.G==", "Q2M0ABC", ""):
        assert credentials.presented(f"Bearer {key}") == credentials.Key(key)
    assert credentials.presented("", "Q2M0ABC") == credentials.Key("Q2M0ABC")
    assert credentials.presented(f"Basic {base64.b64encode(b'me@x:pw').decode()}") == credentials.Password(
        "me@x", "pw"
    )
