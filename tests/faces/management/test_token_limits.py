"""A limited token stays within its limits: the tokens it makes, changes or revokes, and every face's
reads of data outside its datasets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from meterhub.auth import keys
from meterhub.auth.access import require_within
from meterhub.core.errors import Forbidden
from meterhub.platform import Platform
from meterhub.store import accounts, datasets
from tests.conftest import Account, Server, telegram
from tests.factories import token

API = "/api/meterhub/v1"
V1 = "/api/v1/datalogger/dsmrreading"


def bearer(server: Server, key: str) -> httpx.Client:
    client = server.client()
    client.headers["Authorization"] = f"Bearer {key}"
    return client


def second_site(p: Platform, account: Account) -> int:
    with p.db.writer.begin() as conn:
        return accounts.add_site(
            conn, name="holiday home", timezone="Europe/Amsterdam", owner_id=account.user_id
        )


def _listed(client: httpx.Client, token_id: int) -> dict[str, Any]:
    """The token as the API lists it now: what a write stored, not what its answer said."""
    (found,) = [t for t in client.get(f"{API}/tokens").json() if t["id"] == token_id]
    return found  # type: ignore[no-any-return]


def test_a_token_limited_to_a_dataset_makes_and_changes_tokens_only_within_it(
    server: Server, platform: Platform, account: Account
) -> None:
    with platform.db.writer.begin() as conn:
        mine = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="weather").id
        other = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="garden").id
    limited = bearer(server, token(platform, user_id=account.user_id, scopes=("admin",), licensed=(mine,)))
    with platform.db.reader.connect() as conn:
        limited_id = accounts.list_credentials(conn, user_id=account.user_id)[-1].id

    for body in ({"datasets": []}, {"datasets": [other]}, {"datasets": [mine, other]}):
        refused = limited.post(f"{API}/tokens", json={"permissions": ["read"], **body})
        assert refused.status_code == 403 and "licensed for datasets" in refused.json()["detail"], body
    made = limited.post(f"{API}/tokens", json={"permissions": ["read"], "datasets": [mine]})
    assert made.status_code == 201 and made.json()["datasets"] == [mine]

    widened = limited.patch(f"{API}/tokens/{limited_id}", json={"datasets": []})
    assert widened.status_code == 403
    listed = limited.get(f"{API}/tokens").json()
    assert {t["id"] for t in listed} == {limited_id, made.json()["id"]}  # not the site's own key
    assert limited.delete(f"{API}/tokens/1").status_code == 404  # the account's key for every dataset
    with platform.db.reader.connect() as conn:
        assert accounts.licensed_datasets(conn, [limited_id])[limited_id] == [mine]
    # The one whose limits it has is its own to change.
    assert (
        limited.patch(f"{API}/tokens/{made.json()['id']}", json={"name": "weather reader"}).status_code == 200
    )
    assert _listed(limited, made.json()["id"])["name"] == "weather reader"


def test_a_token_bound_to_a_site_makes_tokens_only_for_that_site_and_scopes_it_has(
    server: Server, platform: Platform, account: Account
) -> None:
    holiday = second_site(platform, account)
    with platform.db.writer.begin() as conn:
        bound_key = keys.issue_key(conn, user_id=account.user_id, site_id=account.site_id, scopes=("admin",))[
            1
        ]
        other_key_id = keys.issue_key(conn, user_id=account.user_id, site_id=holiday)[0]
    bound = bearer(server, bound_key)
    for site_id in (None, holiday):
        refused = bound.post(f"{API}/tokens", json={"permissions": ["read"], "site_id": site_id})
        assert refused.status_code == 403 and "bound to site" in refused.json()["detail"]
    made = bound.post(f"{API}/tokens", json={"site_id": account.site_id})
    assert made.status_code == 201
    assert _listed(bound, made.json()["id"])["site_id"] == account.site_id
    assert bound.delete(f"{API}/tokens/{other_key_id}").status_code == 404

    reader = bearer(server, token(platform, user_id=account.user_id, scopes=("read", "admin")))
    made = reader.post(f"{API}/tokens", json={"permissions": ["write"]})
    assert made.status_code == 201  # admin: all
    assert _listed(reader, made.json()["id"])["permissions"] == ["write"]

    with platform.db.writer.begin() as conn:
        narrow = keys.issue_key(
            conn, user_id=account.user_id, site_id=account.site_id, scopes=("read", "batch-import")
        )[1]
    # Only admin tokens reach this API; the rule itself holds for any scopes.
    with platform.db.reader.connect() as conn:
        who = keys.authenticate(conn, narrow).principal
    with pytest.raises(Forbidden, match="lacks the permissions"):
        require_within(who, scopes=["write"], site_id=account.site_id, datasets=[])


def test_the_dsmr_reader_face_keeps_a_token_to_its_datasets(
    server: Server, platform: Platform, account: Account
) -> None:
    assert server.client(account.key).post(V1, data={"telegram": GOOD}).status_code == 201
    with platform.db.writer.begin() as conn:
        weather = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="weather").id
        meters = next(d.id for d in datasets.list_datasets(conn, [account.site_id]) if d.id != weather)
        elsewhere = keys.issue_key(
            conn, user_id=account.user_id, site_id=account.site_id, datasets=[weather]
        )[1]
        allowed = keys.issue_key(conn, user_id=account.user_id, site_id=account.site_id, datasets=[meters])[1]
    outsider, insider = server.client(elsewhere), server.client(allowed)
    for path in DSMR_READS:
        refused = outsider.get(path)
        assert refused.status_code == 403 and "not licensed for" in refused.json()["detail"], path
        assert insider.get(path).status_code == 200, path
    assert outsider.post(V1, data={"telegram": GOOD}).status_code == 403


GOOD = telegram("dsmrreader_netbeheer_example_dsmr50.txt")
DSMR_READS = [
    "/api/v2/datalogger/dsmrreading",
    "/api/v2/datalogger/meter-statistics",
    "/api/v2/consumption/electricity",
    "/api/v2/consumption/gas",
    "/api/v2/consumption/quarter-hour-peak-electricity",
    "/api/v2/consumption/energy-supplier-prices",
    "/api/v2/consumption/today",
    "/api/v2/consumption/electricity-live",
    "/api/v2/consumption/gas-live",
    "/api/v2/statistics/day",
    "/api/v2/statistics/hour",
]
