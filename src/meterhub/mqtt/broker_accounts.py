"""meterhub's tokens as Mosquitto dynamic-security clients, so that Mosquitto itself checks them.

Each token with the mqtt-pubsub permission becomes a client whose username *and password* are the
token (dynsec cannot log in a client without a password), with a role of its own listing the topics
it may publish to and receive from. Mosquitto disconnects a client whose role or account changes, so
a revoked token's live connection is dropped by the broker itself.

meterhub keeps only a token's digest, so a client is created while its token is being issued, and
afterwards found again by its `textname`. Everything else (revocations, expiries, datasets and
licences that changed) is brought in line by `sync`, which compares what the broker has with what
the database says and sends only the differences.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection

from meterhub.auth import keys
from meterhub.auth.access import Access, Principal, require_scope
from meterhub.core.errors import Forbidden, Unauthorized
from meterhub.mqtt.dynsec import DynamicSecurity
from meterhub.mqtt.topics import PUBSUB, granted_prefixes
from meterhub.store import accounts
from meterhub.store.db import Database

log = logging.getLogger(__name__)

SERVICE_CLIENT = "meterhub"
SERVICE_ROLE = "meterhub-service"
TEXTNAME = "meterhub token {}"
_TEXTNAME = re.compile(r"meterhub token (\d+)")
# A token's own topics are allowed before the catch-all that keeps everything else from it.
_GRANT, _DENY_REST = 1, 0

T = TypeVar("T")
Acl = tuple[str, str, int, bool]  # acltype, topic, priority, allow


def role_name(credential_id: int) -> str:
    """The dynsec role holding a token's access list."""
    return f"meterhub-token-{credential_id}"


def token_acls(conn: Connection, who: Principal) -> set[Acl]:
    """The token's access list: publish to the datasets it may write, receive from those it may
    read (any subscription filter, `#` included; messages of other datasets never reach it)."""
    acls: set[Acl] = {
        ("subscribePattern", "#", _GRANT, True),
        ("unsubscribePattern", "#", _GRANT, True),
        ("publishClientReceive", "#", _DENY_REST, False),
        ("publishClientSend", "#", _DENY_REST, False),
    }
    for acltype, needed in (("publishClientSend", Access.WRITE), ("publishClientReceive", Access.READ)):
        for prefix in granted_prefixes(conn, who, needed):
            acls |= {(acltype, prefix, _GRANT, True), (acltype, f"{prefix}/#", _GRANT, True)}
    return acls


def _in_turn(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def one_at_a_time(self: BrokerAccounts, *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return one_at_a_time


def _as_commands(rolename: str, acls: Iterable[Acl], command: str) -> list[dict[str, Any]]:
    return [
        {"command": command, "rolename": rolename, "acltype": t, "topic": topic, "priority": p, "allow": a}
        for t, topic, p, a in sorted(acls)
    ]


class BrokerAccounts:
    """Keeps an external Mosquitto's dynamic-security clients in line with meterhub's tokens."""

    def __init__(self, db: Database, admin: DynamicSecurity) -> None:
        self.db = db
        self.admin = admin
        # Credential id -> username (the token) of the clients the last sync found.
        self.known: dict[int, str] = {}
        self._lock = threading.Lock()  # the API's requests and the bridge's rounds take turns

    def prepare(self, service_password: str) -> None:
        """The client meterhub itself ingests and feeds with: it may publish, subscribe to and
        receive every topic. Left alone when it exists (other meterhub workers may be using it)."""
        every = [("publishClientSend", "#"), ("publishClientReceive", "#"), ("subscribePattern", "#")]
        acls = [{"acltype": t, "topic": topic, "allow": True} for t, topic in every]
        self.admin.run(
            [
                {"command": "createRole", "rolename": SERVICE_ROLE, "acls": acls},
                {
                    "command": "createClient",
                    "username": SERVICE_CLIENT,
                    "password": service_password,
                    "textname": "meterhub's ingest and live feed",
                    "roles": [{"rolename": SERVICE_ROLE}],
                },
            ],
            tolerate=("already exists",),
        )

    @_in_turn
    def issued(self, conn: Connection, key: str) -> None:
        """Make a just-issued token a broker client (in the transaction that issues it, so that a
        token the broker could not take is not issued either)."""
        who = keys.authenticate(conn, key).principal
        if not _may_pubsub(who) or who.credential_id is None:
            return
        role = role_name(who.credential_id)
        self.admin.run(
            [
                {"command": "createRole", "rolename": role},
                *_as_commands(role, token_acls(conn, who), "addRoleACL"),
                {
                    "command": "createClient",
                    "username": key,
                    "password": key,
                    "textname": TEXTNAME.format(who.credential_id),
                    "roles": [{"rolename": role}],
                },
            ]
        )
        self.known[who.credential_id] = key

    @_in_turn
    def sync(self) -> int:
        """Bring every token client in line with the database; how many commands that took."""
        clients = self.admin.run([{"command": "listClients", "verbose": True, "count": -1}])[0]
        roles = self.admin.run([{"command": "listRoles", "verbose": True, "count": -1}])[0]
        have = {
            r["rolename"]: {
                (a["acltype"], a["topic"], a.get("priority", 0), a["allow"]) for a in r.get("acls", [])
            }
            for r in roles.get("roles", [])
        }
        commands: list[dict[str, Any]] = []
        known: dict[int, str] = {}
        with self.db.reader.connect() as conn:
            for client in clients.get("clients", []):
                mark = _TEXTNAME.fullmatch(client.get("textname") or "")
                if mark is None:
                    continue  # not one of meterhub's tokens
                credential_id, username = int(mark[1]), client["username"]
                role = role_name(credential_id)
                try:
                    who = keys.authenticate(conn, username).principal
                except Unauthorized as exc:
                    # Revoked or expired while no meterhub was there to see it.
                    log.info("%s: Mosquitto drops its client", exc.reason)
                    commands += _removal(username, role)
                    continue
                if not _may_pubsub(who):
                    log.info(
                        "key %s lacks the %s permission: Mosquitto drops its client", credential_id, PUBSUB
                    )
                    commands += _removal(username, role)
                    continue
                known[credential_id] = username
                want, present = token_acls(conn, who), have.get(role, set())
                commands += _as_commands(role, present - want, "removeRoleACL")
                commands += _as_commands(role, want - present, "addRoleACL")
        self.admin.run(commands, tolerate=("not found",))
        self.known = known
        return len(commands)

    @_in_turn
    def drop_unusable(self) -> int:
        """Remove the clients of tokens revoked or expired since the last look (a cheap check, one
        query, for running every second); how many went."""
        if not self.known:
            return 0
        with self.db.reader.connect() as conn:
            usable = accounts.usable_credentials(conn, self.known)
        gone = {cid: name for cid, name in self.known.items() if cid not in usable}
        commands = [c for cid, name in gone.items() for c in _removal(name, role_name(cid))]
        self.admin.run(commands, tolerate=("not found",))
        for cid in gone:
            log.info("token %s was revoked or expired: Mosquitto dropped its client", cid)
            del self.known[cid]
        return len(gone)


def _removal(username: str, role: str) -> list[dict[str, Any]]:
    return [{"command": "deleteClient", "username": username}, {"command": "deleteRole", "rolename": role}]


def _may_pubsub(who: Principal) -> bool:
    try:
        require_scope(who, PUBSUB)
    except Forbidden:
        return False
    return True
