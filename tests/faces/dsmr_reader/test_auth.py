"""Who may call: keys, the per-site API switch, and someone else's site, as the real service answers."""

from __future__ import annotations

from meterhub.store import accounts
from tests.conftest import Account, Server, make_account, telegram

V1 = "/api/v1/datalogger/dsmrreading"
V2 = "/api/v2/datalogger/dsmrreading"
KAIFA = telegram("dsmrreader_kaifa_dsmr42_api_v1.txt")


def test_v1_wrong_or_missing_key_is_403_invalid_auth_key(server: Server, account: Account) -> None:
    for headers in (
        {},
        {"X-AUTHKEY": "nope"},
        {"Authorization": "Token nope"},
        {"Authorization": f"Bearer {account.key}"},
    ):
        response = server.client().post(V1, data={"telegram": KAIFA}, headers=headers)
        assert (response.status_code, response.text) == (403, "Invalid auth key")


def test_v2_wrong_key_is_403_with_a_json_detail(server: Server, account: Account) -> None:
    response = server.client("nope").get(V2)
    assert response.status_code == 403 and response.json() == {"detail": "Invalid auth key"}


def test_api_switched_off_answers_405_on_v1_and_403_on_v2(server: Server, account: Account) -> None:
    with server.platform.db.writer.begin() as conn:
        accounts.set_site_api(conn, site_id=account.site_id, enabled=False)
    client = server.client(account.key)
    v1 = client.post(V1, data={"telegram": KAIFA})
    assert (v1.status_code, v1.text) == (405, "API is disabled")
    v2 = client.get(V2)
    assert v2.status_code == 403 and v2.json() == {"detail": "API is disabled"}


def test_wrong_methods(server: Server, account: Account) -> None:
    client = server.client(account.key)
    assert (client.get(V1).status_code, client.get(V1).text) == (405, "")
    response = client.delete(V2)
    assert response.status_code == 405 and response.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_a_revoked_key_stops_working_at_once(server: Server, account: Account) -> None:
    client = server.client(account.key)
    assert client.post(V1, data={"telegram": KAIFA}).status_code == 201
    assert client.get(V2).json()["count"] == 1
    with server.platform.db.writer.begin() as conn:
        (cred,) = accounts.list_credentials(conn, user_id=account.user_id)
        accounts.revoke_credential(conn, credential_id=cred.id)
    assert client.get(V2).status_code == 403


def test_a_key_sees_only_its_own_site(server: Server, account: Account) -> None:
    other = make_account(server.platform, email="neighbour@example.org")
    assert server.client(account.key).post(V1, data={"telegram": KAIFA}).status_code == 201
    theirs = server.client(other.key).get(V2).json()
    assert theirs["count"] == 0
    assert server.client(account.key).get(V2).json()["count"] == 1


def test_a_read_only_key_cannot_write(server: Server, account: Account) -> None:
    from meterhub.auth import keys

    with server.platform.db.writer.begin() as conn:
        _, reader = keys.issue_key(conn, user_id=account.user_id, site_id=account.site_id, scopes=("read",))
    client = server.client(reader)
    assert client.get(V2).status_code == 200
    response = client.post(V1, data={"telegram": KAIFA})
    assert response.status_code == 403 and "write" in response.text


def test_schema_is_public(server: Server) -> None:
    # (v1 is a plain Django view, which upstream's document leaves out: test_schema.py)
    schema = server.client().get("/api/v2/schema", params={"format": "openapi-json"}).json()
    assert "/api/v2/statistics/hour" in schema["paths"]
