"""Section 2 of the energydata.dk document: GET /api/v1/datastreams/values, on both databases."""

from __future__ import annotations

import httpx
import pytest

from meterhub.core.datatypes import Datatype
from meterhub.platform import Platform
from meterhub.store import accounts, datasets
from tests.conftest import Account, Server, make_account, telegram
from tests.factories import datastreams, token

VALUES = "/api/v1/datastreams/values"
T0 = 1517443389806  # the document's first timestamp (2018-02-01T00:03:09.806Z)
MINUTE = 60_000


@pytest.fixture
def temperatures(platform: Platform, account: Account) -> dict[str, int]:
    """Three double streams with a value a minute, as in the document's examples."""
    found = datastreams(
        platform,
        site_id=account.site_id,
        prefix="lab",
        streams={"a": Datatype.DOUBLE, "b": Datatype.DOUBLE, "c": Datatype.DOUBLE},
    )
    rows = [(s.id, T0 + i * MINUTE, 25.12 - i * 0.01) for s in found.values() for i in range(10)]
    platform.writer.write(rows)
    return {suffix: s.id for suffix, s in found.items()}


def bearer(server: Server, key: str) -> httpx.Client:
    client = server.client()
    client.headers.update({"Authorization": f"Bearer {key}", "Accept": "application/json"})
    return client


def rows(response: httpx.Response) -> list[list[str]]:
    return [line.split(",") for line in response.text.splitlines()]


def test_latest_values_one_row_per_id_as_an_attached_csv_file(
    server: Server, account: Account, temperatures: dict[str, int]
) -> None:
    client = bearer(server, token(server.platform, user_id=account.user_id))
    ids = [temperatures["a"], temperatures["b"], temperatures["c"]]
    response = client.get(VALUES, params={"ids": ",".join(map(str, ids)), "latest": "true"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=UTF-8"
    assert response.headers["content-disposition"] == "attachment; filename=data.csv"
    assert response.headers["transfer-encoding"] == "chunked"
    assert rows(response) == [[str(i), str(T0 + 9 * MINUTE), repr(25.12 - 9 * 0.01)] for i in ids]


def test_a_span_is_inclusive_at_both_ends_and_grouped_by_datastream(
    server: Server, account: Account, temperatures: dict[str, int]
) -> None:
    client = bearer(server, token(server.platform, user_id=account.user_id))
    ids = [temperatures["b"], temperatures["a"]]
    # 00:04:09 .. 00:07:09 UTC: the points at 00:04:09.806, 00:05:09.806 and 00:06:09.806.
    response = client.get(
        VALUES,
        params={"ids": f"{ids[0]},{ids[1]}", "from": "2018-02-01T00:04:09", "to": "2018-02-01T00:07:09"},
    )
    assert response.status_code == 200
    got = rows(response)
    assert [r[0] for r in got] == [str(ids[0])] * 3 + [str(ids[1])] * 3
    assert [int(r[1]) for r in got[:3]] == [T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]
    exact = client.get(
        VALUES, params={"ids": ids[0], "from": "2018-02-01T00:04:09.806", "to": "2018-02-01T00:05:09.806"}
    )
    assert [int(r[1]) for r in rows(exact)] == [T0 + MINUTE, T0 + 2 * MINUTE]  # both ends included


def test_the_documents_own_request_with_its_typo_form_of_from(
    server: Server, account: Account, temperatures: dict[str, int]
) -> None:
    client = bearer(server, token(server.platform, user_id=account.user_id))
    ids = ",".join(str(temperatures[k]) for k in ("a", "b", "c"))
    response = client.get(
        VALUES, params={"ids": ids, "from": "2018-0201T00:00:00", "to": "2018-02-02T00:00:00"}
    )
    assert response.status_code == 200 and len(rows(response)) == 30
    later = client.get(
        VALUES, params={"ids": ids, "from": "2018-02-01T00:12:10", "to": "2018-02-02T00:00:00"}
    )
    assert later.text == ""  # the last values are at 00:12:09.806


def test_each_datatype_as_csv(server: Server, platform: Platform, account: Account) -> None:
    found = datastreams(
        platform,
        site_id=account.site_id,
        prefix="kinds",
        streams={"text": Datatype.STRING, "n": Datatype.INTEGER, "x": Datatype.DOUBLE},
    )
    platform.writer.write(
        [
            (found["text"].id, T0, 'say "hi", then go'),
            (found["text"].id, T0 + 1, ""),
            (found["n"].id, T0, -10),
            (found["x"].id, T0, -1.33e-16),
        ]
    )
    client = bearer(server, token(platform, user_id=account.user_id))
    ids = ",".join(str(found[k].id) for k in ("text", "n", "x"))
    response = client.get(
        VALUES, params={"ids": ids, "from": "2018-01-01T00:00:00", "to": "2018-12-31T00:00:00"}
    )
    t, n, x = (found[k].id for k in ("text", "n", "x"))
    assert response.text == (
        f'{t},{T0},"say ""hi"", then go"\n{t},{T0 + 1},\n{n},{T0},-10\n{x},{T0},-1.33e-16\n'
    )


def test_meter_readings_are_datastreams_too(server: Server, platform: Platform, account: Account) -> None:
    kaifa = telegram("dsmrreader_kaifa_dsmr42_api_v1.txt")
    assert (
        server.client(account.key)
        .post("/api/v1/datalogger/dsmrreading", data={"telegram": kaifa})
        .status_code
        == 201
    )
    with platform.db.reader.connect() as conn:
        (site_dataset,) = datasets.list_datasets(conn, [account.site_id])
        streams = {s.role: s for s in datasets.list_streams(conn, site_dataset.id)}
    client = bearer(server, token(platform, user_id=account.user_id))
    ids = f"{streams['import_t1_kwh'].id},{streams['import_kw'].id}"
    response = client.get(VALUES, params={"ids": ids, "latest": "true"})
    moment = "1457019827000"  # 2016-03-03 15:43:47 UTC
    assert rows(response) == [
        [str(streams["import_t1_kwh"].id), moment, "1073.079"],
        [str(streams["import_kw"].id), moment, "0.143"],
    ]


def test_a_long_range_streams_page_after_page(server: Server, platform: Platform, account: Account) -> None:
    found = datastreams(platform, site_id=account.site_id, prefix="long", streams={"n": Datatype.INTEGER})
    sid = found["n"].id
    platform.writer.write([(sid, T0 + i * 1000, i) for i in range(45_000)])
    client = bearer(server, token(platform, user_id=account.user_id))
    response = client.get(
        VALUES, params={"ids": sid, "from": "2018-01-01T00:00:00", "to": "2018-12-31T00:00:00"}
    )
    got = rows(response)
    assert len(got) == 45_000 and [int(r[2]) for r in got] == list(range(45_000))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"latest": "true"}, "ids"),
        ({"ids": "1,x", "latest": "true"}, "ids"),
        ({"ids": "1", "latest": "maybe"}, "latest"),
        ({"ids": "1"}, "from"),
        ({"ids": "1", "from": "2018-02-01T00:00:00"}, "to"),
        ({"ids": "1", "from": "yesterday", "to": "2018-02-01T00:00:00"}, "from"),
        ({"ids": "1", "from": "2018-02-30T00:00:00", "to": "2018-03-01T00:00:00"}, "from"),
        ({"ids": "1", "from": "2018-02-02T00:00:00", "to": "2018-02-01T00:00:00"}, "to"),
    ],
)
def test_bad_parameters_are_a_400_saying_what_is_wrong(
    server: Server, account: Account, params: dict[str, str], field: str
) -> None:
    response = bearer(server, token(server.platform, user_id=account.user_id)).get(VALUES, params=params)
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["message"]


def test_without_a_valid_token_it_is_401(
    server: Server, account: Account, temperatures: dict[str, int]
) -> None:
    key = token(server.platform, user_id=account.user_id)
    params = {"ids": temperatures["a"], "latest": "true"}
    for client in (server.client(), bearer(server, "nope"), server.client(key)):  # X-AUTHKEY is not enough
        response = client.get(VALUES, params=params, headers={"Accept": "application/json"})
        assert response.status_code == 401 and response.json() == {"message": "Unauthenticated."}
    with server.platform.db.writer.begin() as conn:
        (last,) = [c for c in accounts.list_credentials(conn) if c.site_id is None]
        accounts.revoke_credential(conn, credential_id=last.id)
    assert bearer(server, key).get(VALUES, params=params).status_code == 401  # revoked at once


def test_a_datastream_the_token_may_not_read_is_403(
    server: Server, platform: Platform, account: Account, temperatures: dict[str, int]
) -> None:
    params = {"ids": temperatures["a"], "latest": "true"}
    no_read = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    assert bearer(server, no_read).get(VALUES, params=params).status_code == 403
    other = datastreams(platform, site_id=account.site_id, prefix="other", streams={"x": Datatype.DOUBLE})
    licensed_elsewhere = token(platform, user_id=account.user_id, licensed=(other["x"].dataset_id,))
    response = bearer(server, licensed_elsewhere).get(VALUES, params=params)
    assert response.status_code == 403 and "not licensed" in response.json()["message"]
    stranger = make_account(platform, email="stranger@example.org")
    response = bearer(server, token(platform, user_id=stranger.user_id)).get(VALUES, params=params)
    assert response.status_code == 403


def test_an_unknown_id_is_404(server: Server, account: Account, temperatures: dict[str, int]) -> None:
    client = bearer(server, token(server.platform, user_id=account.user_id))
    response = client.get(VALUES, params={"ids": f"{temperatures['a']},999999", "latest": "true"})
    assert response.status_code == 404 and "999999" in response.json()["message"]
