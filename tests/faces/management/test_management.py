"""The management API: what a user sets up (datasets, datastreams, tokens) before using the faces."""

from __future__ import annotations

import httpx
import pytest

from meterhub.core.datatypes import Datatype
from meterhub.platform import Platform
from meterhub.store import accounts, datasets
from tests.conftest import Account, Server, make_account
from tests.factories import token

API = "/api/meterhub/v1"
PASSWORD = "correct horse"  # tests.conftest.make_account's


@pytest.fixture
def owner(server: Server, account: Account) -> httpx.Client:
    """The site owner, signed in with email and password."""
    client = server.client()
    client.auth = httpx.BasicAuth("owner@example.org", PASSWORD)
    return client


def test_sign_in_with_a_password_or_an_admin_key(
    server: Server, platform: Platform, account: Account
) -> None:
    wrong = server.client().get(f"{API}/datasets", auth=("owner@example.org", "wrong"))
    assert wrong.status_code == 401 and "Basic" in wrong.headers["www-authenticate"]
    assert server.client().get(f"{API}/datasets", auth=("nobody@example.org", PASSWORD)).status_code == 401
    reader = token(platform, user_id=account.user_id)
    refused = server.client().get(f"{API}/datasets", headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    admin = token(platform, user_id=account.user_id, scopes=("admin",))
    assert (
        server.client().get(f"{API}/datasets", headers={"Authorization": f"Bearer {admin}"}).status_code
        == 200
    )


def test_datasets_and_datastreams_lifecycle(
    owner: httpx.Client, platform: Platform, account: Account
) -> None:
    created = owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "weather"})
    assert created.status_code == 201
    dataset = created.json()
    assert dataset["topic_prefix"] == "weather" and dataset["name"] == "weather"
    again = owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "weather"})
    assert again.status_code == 409
    for bad_prefix in ("my/topic", "my topic", "my+", "#", ""):
        bad = owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": bad_prefix})
        assert bad.status_code == 422 and "letters, digits" in bad.json()["detail"]
    dashed = owner.post(
        f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "my-topic-prefix"}
    )
    assert dashed.status_code == 201  # the document's own example prefix

    streams = f"{API}/datasets/{dataset['id']}/datastreams"
    made = {
        suffix: owner.post(streams, json={"topic_suffix": suffix, "datatype": datatype, "unit": unit}).json()
        for suffix, datatype, unit in (
            ("outdoor/temperature", "double", "°C"),
            ("rain/count", "integer", ""),
            ("station/name", "string", ""),
        )
    }
    assert made["outdoor/temperature"]["topic"] == "weather/outdoor/temperature"
    assert [s["datatype"] for s in made.values()] == ["double", "integer", "string"]
    assert owner.post(streams, json={"topic_suffix": "bad//suffix", "datatype": "double"}).status_code == 422
    assert owner.post(streams, json={"topic_suffix": "x", "datatype": "complex"}).status_code == 422
    listed = owner.get(streams).json()
    assert [s["topic_suffix"] for s in listed] == list(made)

    temperature = made["outdoor/temperature"]["id"]
    platform.writer.write([(temperature, 1_700_000_000_000, 7.5)])
    patched = owner.patch(f"{API}/datastreams/{temperature}", json={"unit": "K"})
    assert patched.status_code == 200 and patched.json()["unit"] == "K"
    assert owner.delete(f"{API}/datastreams/{temperature}").status_code == 204
    assert owner.get(f"{API}/datastreams/{temperature}").status_code == 404
    with platform.db.reader.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM points_real").scalar() == 0
    assert platform.writer.submit([(temperature, 1_700_000_001_000, 8.0)]).exception(10) is not None

    renamed = owner.patch(f"{API}/datasets/{dataset['id']}", json={"name": "Weather station"})
    assert renamed.json()["name"] == "Weather station"
    assert owner.delete(f"{API}/datasets/{dataset['id']}").status_code == 204
    assert owner.get(f"{API}/datasets/{dataset['id']}").status_code == 404


def test_someone_elses_site_is_forbidden_and_their_ids_answer_as_unknown_ones(
    server: Server, platform: Platform, owner: httpx.Client
) -> None:
    stranger = make_account(platform, email="stranger@example.org")
    response = owner.post(f"{API}/datasets", json={"site_id": stranger.site_id, "topic_prefix": "theirs"})
    assert response.status_code == 403
    with platform.db.writer.begin() as conn:
        theirs = datasets.add_dataset(conn, site_id=stranger.site_id, topic_prefix="theirs")
        stream = datasets.add_stream(conn, dataset_id=theirs.id, topic_suffix="t", datatype=Datatype.DOUBLE)
    for kind, known, path in (("dataset", theirs.id, "datasets"), ("datastream", stream.id, "datastreams")):
        for method in ("GET", "PATCH", "DELETE"):
            body = {"name": "x"} if kind == "dataset" else {"unit": "x"}
            json = body if method == "PATCH" else None
            mine = owner.request(method, f"{API}/{path}/{known}", json=json)
            unknown = owner.request(method, f"{API}/{path}/{known + 1000}", json=json)
            assert mine.status_code == unknown.status_code == 404, (kind, method)
            assert mine.json() == {"detail": f"no {kind} with id {known}"}
            assert unknown.json() == {"detail": f"no {kind} with id {known + 1000}"}
    assert [d["id"] for d in owner.get(f"{API}/datasets").json()] != [theirs.id]


def test_tokens_are_shown_once_work_at_once_and_revoke_at_once(
    server: Server, platform: Platform, owner: httpx.Client, account: Account
) -> None:
    dataset = owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "lab"}).json()
    stream = owner.post(
        f"{API}/datasets/{dataset['id']}/datastreams", json={"topic_suffix": "t", "datatype": "double"}
    ).json()
    platform.writer.write([(stream["id"], 1_700_000_000_000, 21.5)])
    created = owner.post(
        f"{API}/tokens", json={"name": "notebook", "permissions": ["read"], "datasets": [dataset["id"]]}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["permissions"] == ["read"] and body["datasets"] == [dataset["id"]]
    secret = body["token"]
    assert secret.startswith(body["starts_with"])
    listed = owner.get(f"{API}/tokens").json()
    assert all("token" not in t for t in listed) and secret not in str(listed)

    values = server.client().get(
        "/api/v1/datastreams/values",
        params={"ids": stream["id"], "latest": "true"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert values.text == f"{stream['id']},1700000000000,21.5\n"
    assert owner.delete(f"{API}/tokens/{body['id']}").status_code == 204
    again = server.client().get(
        "/api/v1/datastreams/values",
        params={"ids": stream["id"], "latest": "true"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert again.status_code == 401
    with platform.db.reader.connect() as conn:
        (revoked,) = [c for c in accounts.list_credentials(conn) if c.id == body["id"]]
    assert revoked.revoked_ms is not None
    assert owner.post(f"{API}/tokens", json={"permissions": ["root"]}).status_code == 422


def test_the_schema_lists_the_management_api(server: Server) -> None:
    paths = server.client().get("/api/meterhub/openapi.json").json()["paths"]
    assert {f"{API}/datasets", f"{API}/datastreams/{{stream_id}}", f"{API}/tokens"} <= set(paths)
    assert "/api/v1/datastreams/values" in paths


def test_a_token_can_be_renamed_and_its_datasets_changed(
    server: Server, platform: Platform, owner: httpx.Client, account: Account
) -> None:
    first = owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "one"}).json()
    second = owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "two"}).json()
    created = owner.post(f"{API}/tokens", json={"permissions": ["read"], "datasets": [first["id"]]}).json()
    changed = owner.patch(f"{API}/tokens/{created['id']}", json={"name": "lab", "datasets": [second["id"]]})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["datasets"]) == ("lab", [second["id"]])
    opened = owner.patch(f"{API}/tokens/{created['id']}", json={"datasets": []}).json()
    assert opened["datasets"] == [] and opened["name"] == "lab"
    stranger = make_account(platform, email="stranger@example.org")
    with platform.db.writer.begin() as conn:
        theirs = datasets.add_dataset(conn, site_id=stranger.site_id, topic_prefix="theirs")
    grab = owner.patch(f"{API}/tokens/{created['id']}", json={"datasets": [theirs.id]})
    assert grab.status_code == 403
    assert owner.patch(f"{API}/tokens/999999", json={"name": "x"}).status_code == 404
