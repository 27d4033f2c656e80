"""Two users on one server: Bob, with a key that may do everything on his own site, calls every route
of every face aimed at Alice's site, datasets, datastreams, imports and tokens. Nothing of hers
reaches him, nothing of hers changes. A route the matrix does not name fails the test, so a new
route is added here with the request that would reach someone else's data through it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from meterhub.app import create_app
from meterhub.auth import keys
from meterhub.core.datatypes import Datatype
from meterhub.platform import Platform
from meterhub.web.routes import served
from tests.conftest import Server, make_account, telegram
from tests.factories import datastreams

GOOD = telegram("dsmrreader_netbeheer_example_dsmr50.txt")
BOBS = telegram("dsmrreader_fluvius.txt")
V1 = "/api/v1/datalogger/dsmrreading"
# Only Alice's data holds these: none of them may appear in an answer to Bob.
ALICES = ("123456.789", "alices-weather", "271.828", "alices-token", "alices-import", "alice@example.org")


@dataclass(frozen=True)
class Alice:
    site: int
    dataset: int
    stream: int
    token: int
    imported: int


def alice(server: Server) -> Alice:
    """Alice with a telegram, a dataset with a value, a token and an import of her own."""
    p = server.platform
    account = make_account(p, email="alice@example.org")
    assert server.client(account.key).post(V1, data={"telegram": GOOD}).status_code == 201
    stream = datastreams(p, site_id=account.site_id, prefix="alices-weather", streams={"t": Datatype.DOUBLE})[
        "t"
    ]
    with p.db.writer.begin() as conn:
        token_id, key = keys.issue_key(
            conn,
            user_id=account.user_id,
            site_id=None,
            scopes=("read", "write", "batch-import", "admin"),
            name="alices-token",
        )
    client = server.client()
    client.headers["Authorization"] = f"Bearer {key}"
    csv = f";{stream.id}\n2026-02-03T10:00:00.000Z;271.828\n"
    values = client.post("/api/v1/import", params={"importname": "alices-import"}).json()
    url = client.get(f"/api/v1/import/{values['id']}/upload_url").json()["upload_url"]
    assert httpx.put(url, content=csv.encode()).status_code == 200
    return Alice(account.site_id, stream.dataset_id, stream.id, token_id, values["id"])


def bob(server: Server) -> httpx.Client:
    """Bob, with a key of every permission on his own site."""
    account = make_account(server.platform, email="bob@example.org")
    with server.platform.db.writer.begin() as conn:
        key = keys.issue_key(
            conn,
            user_id=account.user_id,
            site_id=account.site_id,
            scopes=("read", "write", "batch-import", "mqtt-pubsub", "admin"),
        )[1]
    client = server.client(key)
    client.headers["Authorization"] = f"Bearer {key}"
    return client


READING = {
    "timestamp": "2026-02-03T10:00:00Z",
    "electricity_currently_delivered": "1.5",
    "electricity_currently_returned": "0",
    "electricity_delivered_1": "2000",
    "electricity_delivered_2": "3000",
    "electricity_returned_1": "0",
    "electricity_returned_2": "0",
}
# Routes that hold nobody's data (pages and schemas).
PUBLIC = {
    ("GET", "/"),
    ("GET", "/docs"),
    ("GET", "/docs/dsmr-reader"),
    ("GET", "/redoc"),
    ("GET", "/redoc/dsmr-reader"),
    ("GET", "/api/v2/schema"),
    ("OPTIONS", "/api/v2/schema"),
    ("GET", "/api/meterhub/openapi.json"),
}
# DSMR-reader's routes know only the caller's own site: Bob gets his own (empty) figures there.
OWN_SITE = [
    f"/api/v2/{path}"
    for path in (
        "datalogger/dsmrreading",
        "datalogger/meter-statistics",
        "consumption/electricity",
        "consumption/gas",
        "consumption/quarter-hour-peak-electricity",
        "consumption/energy-supplier-prices",
        "consumption/today",
        "consumption/electricity-live",
        "consumption/gas-live",
        "statistics/day",
        "statistics/hour",
        "application/version",
        "application/monitoring",
    )
]


@dataclass(frozen=True)
class Aimed:
    """Bob's request at one route, aimed at Alice's things; `refused`: it must get 401, 403 or 404."""

    url: str
    refused: bool = True
    options: dict[str, Any] = field(default_factory=dict)


def matrix(a: Alice) -> dict[tuple[str, str], Aimed]:
    """(method, route path) -> Bob's request there."""
    imported, dataset, stream, token = (
        f"/api/v1/import/{a.imported}",
        f"/api/meterhub/v1/datasets/{a.dataset}",
        f"/api/meterhub/v1/datastreams/{a.stream}",
        f"/api/meterhub/v1/tokens/{a.token}",
    )
    return {
        ("POST", "/api/v1/datalogger/dsmrreading"): Aimed(V1, False, {"data": {"telegram": BOBS}}),
        **{("GET", path): Aimed(path, False) for path in OWN_SITE},
        # OPTIONS describes a view (DRF's metadata; v1's is empty) and holds nobody's data either.
        **{("OPTIONS", path): Aimed(path, False) for path in OWN_SITE},
        ("OPTIONS", V1): Aimed(V1, False),
        ("POST", "/api/v2/datalogger/dsmrreading"): Aimed(
            "/api/v2/datalogger/dsmrreading", False, {"json": READING}
        ),
        ("PATCH", "/api/v2/datalogger/meter-statistics"): Aimed(
            "/api/v2/datalogger/meter-statistics", False, {"json": {"dsmr_version": "50"}}
        ),
        ("POST", "/api/v2/statistics/day"): Aimed(
            "/api/v2/statistics/day", False, {"data": {"day": "2026-01-01"}}
        ),
        ("GET", "/api/v1/datastreams/values"): Aimed(
            "/api/v1/datastreams/values", True, {"params": {"ids": a.stream, "latest": "true"}}
        ),
        ("POST", "/api/v1/import"): Aimed("/api/v1/import", False, {"params": {"importname": "bobs"}}),
        ("GET", "/api/v1/import/{import_id}"): Aimed(imported),
        ("DELETE", "/api/v1/import/{import_id}"): Aimed(imported),
        ("GET", "/api/v1/import/{import_id}/upload_url"): Aimed(f"{imported}/upload_url"),
        ("PUT", "/api/v1/import/{import_id}/upload"): Aimed(f"{imported}/upload", True, {"content": b";1\n"}),
        ("PUT", "/api/v1/import/{import_id}/validate"): Aimed(f"{imported}/validate"),
        ("PUT", "/api/v1/import/{import_id}/ingest"): Aimed(f"{imported}/ingest"),
        ("POST", "/api/meterhub/v1/sessions"): Aimed(
            "/api/meterhub/v1/sessions", True, {"json": {"email": "alice@example.org", "password": "guess"}}
        ),
        # Bob signs in with a key: he has no session to end, and no way to name Alice's.
        ("DELETE", "/api/meterhub/v1/sessions/current"): Aimed("/api/meterhub/v1/sessions/current"),
        ("GET", "/api/meterhub/v1/datasets"): Aimed("/api/meterhub/v1/datasets", False),
        ("POST", "/api/meterhub/v1/datasets"): Aimed(
            "/api/meterhub/v1/datasets", True, {"json": {"site_id": a.site, "topic_prefix": "bobs"}}
        ),
        ("GET", "/api/meterhub/v1/datasets/{dataset_id}"): Aimed(dataset),
        ("PATCH", "/api/meterhub/v1/datasets/{dataset_id}"): Aimed(dataset, True, {"json": {"name": "bobs"}}),
        ("DELETE", "/api/meterhub/v1/datasets/{dataset_id}"): Aimed(dataset),
        ("GET", "/api/meterhub/v1/datasets/{dataset_id}/datastreams"): Aimed(f"{dataset}/datastreams"),
        ("POST", "/api/meterhub/v1/datasets/{dataset_id}/datastreams"): Aimed(
            f"{dataset}/datastreams", True, {"json": {"topic_suffix": "bobs", "datatype": "double"}}
        ),
        ("GET", "/api/meterhub/v1/datastreams/{stream_id}"): Aimed(stream),
        ("PATCH", "/api/meterhub/v1/datastreams/{stream_id}"): Aimed(
            stream, True, {"json": {"unit": "bobs"}}
        ),
        ("DELETE", "/api/meterhub/v1/datastreams/{stream_id}"): Aimed(stream),
        ("GET", "/api/meterhub/v1/tokens"): Aimed("/api/meterhub/v1/tokens", False),
        ("POST", "/api/meterhub/v1/tokens"): Aimed(
            "/api/meterhub/v1/tokens", True, {"json": {"site_id": a.site, "datasets": [a.dataset]}}
        ),
        ("PATCH", "/api/meterhub/v1/tokens/{token_id}"): Aimed(token, True, {"json": {"name": "bobs"}}),
        ("DELETE", "/api/meterhub/v1/tokens/{token_id}"): Aimed(token),
        ("GET", "/api/meterhub/v1/sites/{site_id}/usage"): Aimed(f"/api/meterhub/v1/sites/{a.site}/usage"),
    }


def routes(server: Server) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves."""
    app = create_app(server.platform.settings, server.platform)
    return {(m, route.path) for route in served(app.router.routes) for m in route.methods if m != "HEAD"}


def alices_state(p: Platform) -> list[object]:
    with p.db.reader.connect() as conn:
        return [
            conn.execute(text(sql)).all()
            for sql in (
                "SELECT stream_id, ts, v FROM points ORDER BY stream_id, ts",
                "SELECT stream_id, ts, v FROM points_real ORDER BY stream_id, ts",
                "SELECT id, topic_prefix, name FROM datasets ORDER BY id",
                "SELECT id, unit FROM datastreams ORDER BY id",
                "SELECT id, name, revoked_ms FROM credentials ORDER BY id",
                "SELECT id, status FROM imports ORDER BY id",
            )
        ]


def test_bob_reaches_nothing_of_alices_on_any_route(server: Server) -> None:
    a = alice(server)
    aimed = matrix(a)
    every = routes(server)
    assert every - PUBLIC - aimed.keys() == set(), "a route without a two-user check"
    assert aimed.keys() <= every
    before = alices_state(server.platform)
    b = bob(server)
    leaks: list[tuple[str, str, object]] = []
    for (method, path), request in aimed.items():
        response = b.request(method, request.url, **request.options)
        assert response.status_code < 500, (method, path, response.text)
        if request.refused and response.status_code not in (401, 403, 404):
            leaks.append((method, path, response.status_code))
        leaks += [(method, path, marker) for marker in ALICES if marker in response.text]
    assert leaks == []
    after = alices_state(server.platform)
    # Bob's own writes land in his site; every row of Alice's is as it was.
    assert all(set(rows) <= set(now) for rows, now in zip(before, after, strict=True))
