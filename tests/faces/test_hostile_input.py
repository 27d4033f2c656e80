"""What a hostile tester sent to every face (issue 10, item 6): each gets a 4xx in the face's own shape,
on SQLite and PostgreSQL alike, and the server keeps serving."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from meterhub.core.datatypes import Datatype
from meterhub.store import datasets
from tests.conftest import Account, Server
from tests.factories import token

API = "/api/meterhub/v1"
HUGE = 2**63
NUL = "a\x00b"
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture
def admin(server: Server, account: Account) -> httpx.Client:
    """The management API, signed in with an admin key."""
    key = token(server.platform, user_id=account.user_id, scopes=("admin", "read", "write"))
    client = server.client()
    client.headers["Authorization"] = f"Bearer {key}"
    return client


@pytest.fixture
def energydata(server: Server, account: Account) -> httpx.Client:
    """The energydata.dk face, with a token that reads and imports."""
    key = token(server.platform, user_id=account.user_id, scopes=("read", "batch-import"))
    client = server.client()
    client.headers.update({"Authorization": f"Bearer {key}", "Accept": "application/json"})
    return client


def _dataset(admin: httpx.Client, account: Account) -> dict[str, object]:
    created = admin.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "house"})
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def refused(response: httpx.Response, *statuses: int) -> dict[str, object]:
    """The JSON body of a refusal with one of the statuses (422 by default: FastAPI's own)."""
    assert response.status_code in (statuses or (422,)), (response.status_code, response.text)
    return response.json()  # type: ignore[no-any-return]


# --- the management API ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("a NUL in a dataset's name", {"name": NUL}),
        ("a NUL in a topic prefix", {"topic_prefix": "a\x00"}),
        ("a name longer than its column", {"name": "n" * 201}),
        ("a topic prefix longer than its column", {"topic_prefix": "p" * 101}),
        ("an unknown site", {"site_id": 999_999}),
        ("a site id past 64 bits", {"site_id": HUGE}),
        ("a site id that is no number", {"site_id": "one"}),
    ],
)
def test_a_bad_dataset_is_refused(admin: httpx.Client, account: Account, what: str, body: dict) -> None:
    sent = {"site_id": account.site_id, "topic_prefix": "house", **body}
    assert "detail" in refused(admin.post(f"{API}/datasets", json=sent), 403, 404, 422), what
    assert admin.get(f"{API}/datasets").json() == []


def test_renames_and_units_keep_to_their_columns(admin: httpx.Client, account: Account) -> None:
    dataset = _dataset(admin, account)
    at = f"{API}/datasets/{dataset['id']}"
    for name in (NUL, "n" * 201):
        refused(admin.patch(at, json={"name": name}))
    stream = {"topic_suffix": "power", "datatype": "double"}
    for bad in ({"unit": NUL}, {"unit": "u" * 17}, {"topic_suffix": "x\x00"}, {"topic_suffix": "s" * 201}):
        refused(admin.post(f"{at}/datastreams", json={**stream, **bad}))
    made = admin.post(f"{at}/datastreams", json={**stream, "unit": "W"}).json()
    for unit in (NUL, "u" * 17):
        refused(admin.patch(f"{API}/datastreams/{made['id']}", json={"unit": unit}))
    assert admin.get(f"{API}/datastreams/{made['id']}").json()["unit"] == "W"


@pytest.mark.parametrize("big", [2**31, HUGE, 10**30], ids=["2**31", "2**63", "10**30"])
def test_ids_past_their_columns_are_refused_on_every_id_route(
    admin: httpx.Client, account: Account, big: int
) -> None:
    _dataset(admin, account)
    for method, path in [
        ("GET", f"/datasets/{big}"),
        ("PATCH", f"/datasets/{big}"),
        ("DELETE", f"/datasets/{big}"),
        ("GET", f"/datasets/{big}/datastreams"),
        ("POST", f"/datasets/{big}/datastreams"),
        ("GET", f"/datastreams/{big}"),
        ("PATCH", f"/datastreams/{big}"),
        ("DELETE", f"/datastreams/{big}"),
        ("PATCH", f"/tokens/{big}"),
        ("DELETE", f"/tokens/{big}"),
    ]:
        body = {"name": "x", "unit": "W", "topic_suffix": "p", "datatype": "double"}
        sent = admin.request(method, API + path, json=body if method in ("PATCH", "POST") else None)
        assert "detail" in refused(sent, 404, 422), (method, path)
    licensed = admin.post(f"{API}/tokens", json={"datasets": [big]})
    assert "detail" in refused(licensed, 404, 422)


def test_tokens_refuse_nul_names_long_names_huge_expiry_and_unknown_sites(
    admin: httpx.Client, account: Account
) -> None:
    for body in (
        {"name": NUL},
        {"name": "t" * 201},
        {"expires_days": 3_000_000},
        {"site_id": 999_999},
        {"site_id": HUGE},
        {"site_id": "1x"},
    ):
        assert "detail" in refused(admin.post(f"{API}/tokens", json=body), 403, 404, 422), body
    made = admin.post(f"{API}/tokens", json={"name": "ok"}).json()
    refused(admin.patch(f"{API}/tokens/{made['id']}", json={"name": NUL}))
    assert {t["name"] for t in admin.get(f"{API}/tokens").json()} == {"", "ok"}


def test_json_nested_a_thousand_deep_is_a_400(admin: httpx.Client, server: Server, account: Account) -> None:
    deep = {"Content-Type": "application/json"}
    for sent in (DEEP, '{"name": ' + DEEP + "}"):
        assert "detail" in refused(admin.post(f"{API}/datasets", content=sent, headers=deep), 400, 422)
    v2 = server.client(account.key).post("/api/v2/datalogger/dsmrreading", content=DEEP, headers=deep)
    assert "detail" in refused(v2, 400)


def test_a_nul_in_the_basic_email_is_a_401(server: Server, account: Account) -> None:
    basic = base64.b64encode(b"owner\x00@example.org:correct horse").decode()
    answer = server.client().get(f"{API}/datasets", headers={"Authorization": f"Basic {basic}"})
    assert "detail" in refused(answer, 401)


# --- energydata.dk --------------------------------------------------------------------------------


@pytest.mark.parametrize("ids", ["²", "٣", str(HUGE), "1,²", str(2**31)])
def test_ids_must_be_ascii_numbers_of_a_datastream(energydata: httpx.Client, ids: str) -> None:
    answer = energydata.get("/api/v1/datastreams/values", params={"ids": ids, "latest": "true"})
    assert "message" in refused(answer, 400, 404), ids


def test_year_one_in_the_read_filters_is_read_or_refused_never_a_crash(
    energydata: httpx.Client, server: Server, account: Account
) -> None:
    with server.platform.db.writer.begin() as conn:
        dataset = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="t", name="")
        stream = datasets.add_stream(conn, dataset_id=dataset.id, topic_suffix="x", datatype=Datatype.DOUBLE)
    span = {"ids": str(stream.id), "from": "0001-01-01T00:00:00", "to": "9999-12-31T23:59:59"}
    assert energydata.get("/api/v1/datastreams/values", params=span).status_code in (200, 400)
    dsmr = server.client(account.key)
    for path, name in [
        ("/api/v2/datalogger/dsmrreading", "timestamp"),
        ("/api/v2/consumption/electricity", "read_at"),
        ("/api/v2/consumption/gas", "read_at"),
        ("/api/v2/consumption/quarter-hour-peak-electricity", "read_at_start"),
        ("/api/v2/statistics/day", "day"),
        ("/api/v2/statistics/hour", "hour_start"),
    ]:
        for moment in ("0001-01-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59"):
            for param in (f"{name}__gte", f"{name}__lte", name):
                answer = dsmr.get(path, params={param: moment})
                assert answer.status_code in (200, 400), (path, moment, answer.text)


def test_an_importname_with_a_nul_or_too_long_is_a_400(energydata: httpx.Client) -> None:
    for name in (NUL, "i" * 201):
        answer = energydata.post("/api/v1/import", params={"importname": name})
        assert "importname" in refused(answer, 400)["errors"]  # type: ignore[operator]


def test_import_ids_past_their_column_are_a_404(energydata: httpx.Client) -> None:
    for big in (2**31, HUGE):
        for method, path in [
            ("GET", f"/api/v1/import/{big}"),
            ("DELETE", f"/api/v1/import/{big}"),
            ("GET", f"/api/v1/import/{big}/upload_url"),
            ("PUT", f"/api/v1/import/{big}/validate"),
            ("PUT", f"/api/v1/import/{big}/ingest"),
        ]:
            assert "message" in refused(energydata.request(method, path), 404, 422), (method, path)


# --- DSMR-reader ----------------------------------------------------------------------------------

LISTS = [
    "/api/v2/datalogger/dsmrreading",
    "/api/v2/consumption/electricity",
    "/api/v2/consumption/gas",
    "/api/v2/consumption/quarter-hour-peak-electricity",
    "/api/v2/consumption/energy-supplier-prices",
    "/api/v2/statistics/day",
    "/api/v2/statistics/hour",
]


@pytest.mark.parametrize("offset", [str(HUGE), str(10**30), "٣", "²", "-1"])
def test_any_offset_or_limit_on_every_list_is_a_page(server: Server, account: Account, offset: str) -> None:
    client = server.client(account.key)
    for path in LISTS:
        for name in ("offset", "limit"):
            answer = client.get(path, params={name: offset})
            assert answer.status_code == 200, (path, name, answer.text)
            assert "results" in answer.json()


def test_meter_statistics_texts_keep_to_their_columns(server: Server, account: Account) -> None:
    client = server.client(account.key)
    at = "/api/v2/datalogger/meter-statistics"
    for data in ({"dsmr_version": NUL}, {"dsmr_version": "5" * 65}, {"latest_telegram": NUL}):
        answer = client.patch(at, data=data)
        assert list(refused(answer, 400)) == list(data), data
    assert client.get(at).json()["dsmr_version"] is None


def test_a_telegram_with_a_nul_inside_is_a_400(server: Server, account: Account) -> None:
    from tests.faces.dsmr_reader.test_bad_input import GOOD, with_crc

    inside = with_crc(GOOD[: GOOD.index("!") + 1].replace("1-0:1.8.1(", "1-0:1.8.1(\x00"))
    header = with_crc(GOOD[: GOOD.index("!") + 1].replace("/", "/\x00", 1))
    client = server.client(account.key)
    for sent in (inside, header):
        answer = client.post("/api/v1/datalogger/dsmrreading", data={"telegram": sent})
        assert answer.status_code == 400 and answer.text.startswith("Failed to parse telegram"), answer.text


def test_a_reading_refuses_nul_bytes_in_every_field(server: Server, account: Account) -> None:
    client = server.client(account.key)
    sent = {"timestamp": "2024-01-01T00:00:00\x00", "electricity_delivered_1": "1\x00"}
    answer = client.post("/api/v2/datalogger/dsmrreading", data=sent)
    assert answer.status_code == 400 and "electricity_delivered_1" in answer.json()
    answer = client.post(
        "/api/v2/datalogger/dsmrreading",
        content=json.dumps(sent),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
