"""Bodies and connections are bounded on every face (issue 10, item 7): a body over the limit is a 413 in
the face's shape, slow headers and stalled bodies are closed, a client gone mid-body is one log line."""

from __future__ import annotations

import logging
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.types import Message, Receive

from meterhub.web import bodies
from meterhub.web import server as http_server
from tests.conftest import Account, Server
from tests.factories import token
from tests.waiting import eventually

API = "/api/meterhub/v1"


def _big(server: Server) -> bytes:
    return b'{"name": "' + b"n" * (server.platform.settings.max_body_bytes + 1) + b'"}'


def test_a_body_over_the_limit_is_a_413_in_each_faces_shape(server: Server, account: Account) -> None:
    admin = token(server.platform, user_id=account.user_id, scopes=("admin", "read", "batch-import"))
    client = server.client()
    client.headers.update({"Authorization": f"Bearer {admin}", "Content-Type": "application/json"})
    big = _big(server)
    management = client.post(f"{API}/datasets", content=big)
    assert management.status_code == 413 and "limit" in management.json()["detail"]
    energydata = client.post("/api/v1/import?importname=x", content=big)
    assert energydata.status_code == 413 and "limit" in energydata.json()["message"]
    dsmr = server.client(account.key).post("/api/v2/datalogger/dsmrreading", content=big)
    assert dsmr.status_code == 413 and "limit" in dsmr.json()["detail"]
    # Sent without a length, the body is refused as soon as it passes the limit.
    chunks = (b"x" * 65536 for _ in range(100))
    streamed = client.post(f"{API}/datasets", content=chunks)
    assert streamed.status_code == 413
    assert client.get(f"{API}/datasets").json() == []


def test_a_fifty_megabyte_name_is_refused_and_not_stored(server: Server, account: Account) -> None:
    admin = token(server.platform, user_id=account.user_id, scopes=("admin",))
    body = {"site_id": account.site_id, "topic_prefix": "big", "name": "n" * 50_000_000}
    client = server.client()
    client.headers["Authorization"] = f"Bearer {admin}"
    assert client.post(f"{API}/datasets", json=body).status_code == 413
    assert client.get(f"{API}/datasets").json() == []


def _connect(server: Server) -> socket.socket:
    url = urlsplit(server.url)
    return socket.create_connection((url.hostname, url.port), timeout=10)


def _closed(sock: socket.socket, within_s: float) -> bytes:
    """What the server sent before it closed the connection (fails if it stays open)."""
    sock.settimeout(within_s)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_slow_headers_are_closed(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_server, "HEADERS_S", 0.5)
    with _connect(server) as idle, _connect(server) as trickling:
        trickling.sendall(b"GET /api/v2/application/version HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert _closed(idle, 5) == b""
        assert _closed(trickling, 5) == b""
        assert time.monotonic() - started < 3
    assert httpx.get(server.url + "/api/v2/application/version").status_code in (200, 403)


def test_a_stalled_body_is_a_408_and_closed(
    server: Server, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "BODY_IDLE_S", 0.5)
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/v2/datalogger/dsmrreading HTTP/1.1\r\nHost: x\r\nX-AUTHKEY: "
            + account.key.encode()
            + b'\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"timest'
        )
        answer = _closed(sock, 5)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_client_gone_mid_body_is_one_log_line(
    server: Server, account: Account, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    # The client hangs up once the server has read the body's first part: mid body, not before it.
    read_some = threading.Event()
    limited = bodies._idle_limited

    def noting(receive: Receive) -> Receive:
        next_message = limited(receive)

        async def noted() -> Message:
            message = await next_message()
            read_some.set()
            return message

        return noted

    monkeypatch.setattr(bodies, "_idle_limited", noting)
    with _connect(server) as sock:
        sock.sendall(
            b"PATCH /api/v2/datalogger/meter-statistics HTTP/1.1\r\nHost: x\r\nX-AUTHKEY: "
            + account.key.encode()
            + b"\r\nContent-Length: 1000\r\n\r\ndsmr_version=5"
        )
        assert read_some.wait(5)
    eventually(
        lambda: any("went away" in r.getMessage() for r in caplog.records), 5, what="the went-away log line"
    )
    gone = [r for r in caplog.records if "went away" in r.getMessage()]
    assert len(gone) == 1 and gone[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
