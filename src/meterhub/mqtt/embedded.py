"""The embedded MQTT broker (amqtt), with meterhub's tokens, topic access and one write path.

energydata.dk's broker behaves in ways no amqtt plugin hook gives (section 3.6 of its document):
a publish the token may not make disconnects the client at once, its queued messages discarded;
and here a QoS 1 PUBACK means the point is *stored*. Both live in `_StoringHandler`, amqtt's
per-connection protocol handler with its publish handling extended. It reaches into amqtt's
internals, so the amqtt version is pinned exactly and the behaviour is covered by tests.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from amqtt.adapters import ReaderAdapter
from amqtt.broker import Broker
from amqtt.codecs_amqtt import decode_packet_id, decode_string
from amqtt.contexts import Action
from amqtt.mqtt import packet_dict
from amqtt.mqtt.packet import PUBLISH, MQTTFixedHeader
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.puback import PubackPacket
from amqtt.mqtt.publish import PublishPacket, PublishVariableHeader
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from meterhub.auth import keys
from meterhub.auth.access import Access, Principal, require_scope
from meterhub.core.errors import Forbidden, MeterhubError, Unauthorized
from meterhub.ingest.mqtt_messages import MessageError, point_rows
from meterhub.ingest.write_path import PointRow
from meterhub.mqtt.topics import PUBSUB, Topics
from meterhub.platform import Platform
from meterhub.store import accounts

log = logging.getLogger(__name__)

REVOKE_CHECK_S = 1.0
# Messages of one client waiting to be stored (energydata.dk's incoming queue per client).
CLIENT_QUEUE = 1000
# Live-feed messages waiting for the broker to deliver them; beyond, new ones are dropped.
FEED_BACKLOG = 10_000


class EmbeddedBroker(Broker):
    """amqtt serving MQTT 3.1.1 on one TCP port, for one platform."""

    def __init__(
        self,
        platform: Platform,
        *,
        host: str,
        port: int,
        tls_port: int = 0,
        certfile: str = "",
        keyfile: str = "",
    ) -> None:
        self.platform = platform
        self.loop = asyncio.get_running_loop()
        self.dropped = 0  # live-feed messages dropped because subscribers were behind
        self.topics = Topics(platform)
        plugins = {f"{__name__}.TokenAuth": {"broker": self}, f"{__name__}.TopicAccess": {"broker": self}}
        listeners: dict[str, dict[str, Any]] = {"default": {"type": "tcp", "bind": f"{host}:{port}"}}
        if certfile and keyfile and tls_port:
            listeners["tls"] = {
                "type": "tcp",
                "bind": f"{host}:{tls_port}",
                "ssl": True,
                "certfile": certfile,
                "keyfile": keyfile,
            }
        super().__init__({"listeners": listeners, "plugins": plugins}, loop=self.loop)

    async def start(self) -> None:
        """Listen, pass points stored by HTTP or batch import on to subscribers, and keep watch
        over the tokens of connected clients."""
        await super().start()
        self.platform.writer.watch(self._committed)
        self._guard = self.loop.create_task(self._drop_revoked())

    async def shutdown(self) -> None:
        """Stop feeding and watching, and close every connection."""
        self._guard.cancel()
        self.platform.writer.unwatch(self._committed)
        await super().shutdown()

    async def _drop_revoked(self) -> None:
        # A revoked or expired token loses its live connections within a second (the CLI revokes
        # from another process, so this looks rather than waits to be told).
        while True:
            await asyncio.sleep(REVOKE_CHECK_S)
            connected = [
                (getattr(session, "meterhub_principal", None), handler)
                for session, handler in list(self.sessions.values())
                if handler.writer is not None
            ]
            ids = {
                who.credential_id for who, _ in connected if who is not None and who.credential_id is not None
            }
            if not ids:
                continue
            with self.platform.db.reader.connect() as conn:
                usable = accounts.usable_credentials(conn, ids)
            for who, handler in connected:
                if who is not None and who.credential_id in ids - usable and handler.writer is not None:
                    log.info(
                        "token %s was revoked or expired: its MQTT connection is closed", who.credential_id
                    )
                    await handler.writer.close()

    def _committed(self, rows: list[PointRow]) -> None:
        # On the writer's thread: only hand over when someone listens (no wake-up otherwise).
        if self.subscriptions:
            self.loop.call_soon_threadsafe(self._feed, rows)

    def _feed(self, rows: list[PointRow]) -> None:
        filters = list(self.subscriptions)
        backlog = self._broadcast_queue.qsize()
        for row in rows:
            topic = self.topics.of_stream(row[0])
            if not any(self._matches(topic, f) for f in filters):
                continue
            if backlog >= FEED_BACKLOG:  # subscribers are behind: drop, count, never block the writer
                self.dropped += 1
                continue
            backlog += 1
            self.loop.create_task(self.internal_message_broadcast(topic, self.topics.message(row), 0))

    async def _initialize_client_session(
        self, *args: Any, **kwargs: Any
    ) -> tuple[BrokerProtocolHandler, Session]:
        handler, session = await super()._initialize_client_session(*args, **kwargs)
        handler.__class__ = _StoringHandler  # the same handler, with meterhub's publish handling
        handler.broker = self  # type: ignore[attr-defined]
        return handler, session


class _WholePublishHeader(PublishVariableHeader):
    """amqtt refuses a wildcard topic halfway through decoding a publish, leaving its payload in the
    stream to be misread as packets. Read whole, the publish reaches `_StoringHandler`, which counts
    it and closes the connection, as MQTT requires of a wildcard publish (3.3.2-2)."""

    @classmethod
    async def from_stream(
        cls, reader: ReaderAdapter | asyncio.StreamReader, fixed_header: MQTTFixedHeader
    ) -> _WholePublishHeader:
        topic_name = await decode_string(reader)
        packet_id = await decode_packet_id(reader) if (fixed_header.flags >> 1) & 0x03 else None
        header = cls.__new__(cls)
        header.topic_name, header.packet_id = topic_name, packet_id
        return header


class _WholePublish(PublishPacket):
    VARIABLE_HEADER = _WholePublishHeader


packet_dict[PUBLISH] = _WholePublish


class _StoringHandler(BrokerProtocolHandler):
    """Publishes are checked, stored through the write path, and only then acknowledged."""

    broker: EmbeddedBroker
    waiting = 0  # this client's messages on their way to the database
    refused = False  # it published where it may not: whatever else it sent is discarded

    async def handle_publish(self, publish_packet: PublishPacket) -> None:
        topic, data = publish_packet.topic_name, publish_packet.data
        who: Principal | None = getattr(self.session, "meterhub_principal", None)
        if topic is None or data is None or who is None or self.refused:
            return
        if self.waiting >= CLIENT_QUEUE:
            # As the document says: a client that outruns the broker loses what does not fit,
            # and nobody else waits for it.
            self.broker.topics.count_error(
                topic, MessageError(f"dropped: {CLIENT_QUEUE} messages of this client waiting")
            )
            return
        self.waiting += 1
        try:
            await self._publish(publish_packet, topic, data, who)
        finally:
            self.waiting -= 1

    async def _publish(
        self, publish_packet: PublishPacket, topic: str, data: bytes | bytearray, who: Principal
    ) -> None:
        if "+" in topic or "#" in topic:
            self.broker.topics.count_error(
                topic, MessageError("wildcards + and # are for subscriptions; a message goes to one topic")
            )
            await self._refuse(f"published to the wildcard topic {topic}")
            return
        if not self.broker.topics.may(who, topic, Access.WRITE):
            # As energydata.dk's broker: disconnected at once, no PUBACK, queued messages discarded.
            await self._refuse(f"may not publish to {topic}")
            return
        try:
            rows = point_rows(topic, bytes(data), self.broker.topics.column)
            if self.refused:
                return
            outcome = await self.broker.platform.writer.store(rows, feed=False)
            if outcome.clashes:
                raise MessageError(f"a different value is stored at {outcome.clashes[0].ts} ms")
        except MeterhubError as exc:
            # Not stored, counted for the dataset; the client stays connected and gets its ack.
            self.broker.topics.count_error(
                topic, exc if isinstance(exc, MessageError) else MessageError(str(exc))
            )
            packet_id = publish_packet.variable_header.packet_id if publish_packet.variable_header else None
            if publish_packet.qos and packet_id is not None:
                await self._send_packet(PubackPacket.build(packet_id))
            return
        await super().handle_publish(publish_packet)  # delivery to subscribers, then the PUBACK

    async def _refuse(self, why: str) -> None:
        self.refused = True
        log.info("client %s %s: disconnected", self.session and self.session.client_id, why)
        if self.writer is not None:
            await self.writer.close()


class TokenAuth(BaseAuthPlugin):
    """The token is the username (any password); it needs the mqtt-pubsub permission."""

    @dataclass
    class Config:
        broker: Any = field(default=None)

    async def authenticate(self, *, session: Session) -> bool | None:
        broker: EmbeddedBroker = self.context.config.broker  # type: ignore[union-attr]
        with broker.platform.db.reader.connect() as conn:
            try:
                who = keys.authenticate(conn, session.username or "").principal
                require_scope(who, PUBSUB)
            except (Unauthorized, Forbidden):
                return False
        session.meterhub_principal = who  # type: ignore[attr-defined]
        return True


class TopicAccess(BaseTopicPlugin):
    """Subscriptions may use any filter; each message goes only to tokens that may read its dataset."""

    @dataclass
    class Config:
        broker: Any = field(default=None)

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        broker: EmbeddedBroker = self.context.config.broker  # type: ignore[union-attr]
        who: Principal | None = getattr(session, "meterhub_principal", None)
        if who is None or topic is None:
            return False
        if action == Action.RECEIVE:
            return broker.topics.may(who, topic, Access.READ)
        return True  # subscriptions: checked per message; publishes: checked by _StoringHandler
