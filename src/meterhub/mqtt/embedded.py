"""The embedded MQTT broker (amqtt), with meterhub's tokens, topic access and one write path.

energydata.dk's broker behaves in ways no amqtt plugin hook gives (section 3.6 of its document):
a publish the token may not make disconnects the client at once, its queued messages discarded;
and here a QoS 1 PUBACK means the point is *stored*. Both live in `_StoringHandler`, amqtt's
per-connection protocol handler with its publish handling extended; stored messages are delivered
by `EmbeddedBroker.deliver`, and a client's session is found only by its own token. All of it
reaches into amqtt's internals, so the amqtt version is pinned exactly and the behaviour is
covered by tests.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from amqtt.adapters import BufferReader, ReaderAdapter, WriterAdapter
from amqtt.broker import Broker, RetainedApplicationMessage, Server
from amqtt.codecs_amqtt import decode_packet_id, decode_string, read_or_raise
from amqtt.contexts import Action, ListenerConfig
from amqtt.errors import MQTTError
from amqtt.mqtt import packet_dict
from amqtt.mqtt.packet import CONNECT, PUBLISH, MQTTFixedHeader
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.puback import PubackPacket
from amqtt.mqtt.publish import PublishPacket, PublishVariableHeader
from amqtt.plugins.base import BaseTopicPlugin
from amqtt.session import Session
from amqtt.utils import gen_client_id
from sqlalchemy import Connection

from meterhub.auth import keys
from meterhub.auth.access import Access, Principal, require_scope
from meterhub.core.errors import Forbidden, MeterhubError, StorageFull, Unauthorized
from meterhub.ingest.mqtt_messages import MessageError, as_message_error, point_rows, taken
from meterhub.ingest.write_path import PointRow
from meterhub.mqtt.topics import PUBSUB, Topics
from meterhub.platform import Platform

log = logging.getLogger(__name__)

REVOKE_CHECK_S = 1.0
# Messages of one client waiting to be stored (energydata.dk's incoming queue per client).
CLIENT_QUEUE = 1000
# Messages on their way to one subscriber (or kept for its persistent session while it is away):
# beyond, it misses new ones (they are stored all the same), and nobody else waits for it.
SUBSCRIBER_QUEUE = 1000
MQTT_3_1_1, MQTT_5 = 4, 5  # CONNECT's protocol level


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
        self.dropped = 0  # deliveries skipped because their subscriber was behind
        self._dropped_told = 0
        self.topics = Topics(platform)
        plugins = {f"{__name__}.TopicAccess": {"broker": self}}
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
        """Listen, pass points stored by HTTP or batch import (or by the deployment's other
        servers) on to subscribers, and keep watch over the tokens of connected clients."""
        await super().start()
        self.platform.feed.subscribe(self._committed)
        self._guard = self.loop.create_task(self._follow_tokens())

    async def shutdown(self) -> None:
        """Stop feeding and watching, and close every connection."""
        self._guard.cancel()
        self.platform.feed.unsubscribe(self._committed)
        await super().shutdown()

    async def _follow_tokens(self) -> None:
        # What a token may do is read again every second for its live connections: revoked or
        # expired, or without mqtt-pubsub now, they are closed; with other datasets, scopes or a
        # site, they publish and receive by the new rights (the CLI and the API change tokens from
        # other processes too, so this looks rather than waits to be told).
        while True:
            await asyncio.sleep(REVOKE_CHECK_S)
            self._tell_dropped()
            connected = [
                (session, handler)
                for session, handler in list(self.sessions.values())
                if handler.writer is not None and getattr(session, "meterhub_principal", None) is not None
            ]
            if not connected:
                continue
            now = await asyncio.to_thread(
                self._principals, {session.username or "" for session, _ in connected}
            )
            for session, handler in connected:
                before: Principal = session.meterhub_principal
                after = now[session.username or ""]
                if after is None and handler.writer is not None:
                    log.info(
                        "token %s was revoked, expired or lost %s: its MQTT connection is closed",
                        before.credential_id,
                        PUBSUB,
                    )
                    await handler.writer.close()
                elif after is not None and after != before:
                    log.info("token %s changed: its MQTT connection has its new rights", before.credential_id)
                    session.meterhub_principal = after

    def _committed(self, rows: list[PointRow]) -> None:
        # On the writer's thread (the feed's for other servers' points): only hand over when someone
        # listens (no wake-up otherwise).
        if self.subscriptions:
            self.loop.call_soon_threadsafe(self._feed, rows)

    def deliver(self, topic: str, data: bytes | bytearray, qos: int) -> None:
        """Send a stored message to every subscriber whose token may read it, at once and without
        waiting for any of them.

        amqtt's own delivery passes each message through two queues and a broadcast loop one at
        a time; under load that loop fell behind by thousands of messages a second, unbounded.
        Here each delivery is a task of its own, and each subscriber has its bound.
        """
        targets: dict[str | None, tuple[Session, int]] = {}  # by client id: once each, at its best QoS
        for a_filter, subscribers in self.subscriptions.items():
            if self._matches(topic, a_filter):
                for session, granted in subscribers:
                    best = targets.get(session.client_id, (session, 0))[1]
                    targets[session.client_id] = session, max(best, min(qos, granted))
        for session, at in targets.values():
            who: Principal | None = getattr(session, "meterhub_principal", None)
            if who is None or not self.topics.may(who, topic, Access.READ):
                continue
            handler = self._get_handler(session)
            if isinstance(handler, _StoringHandler) and session.transitions.state == "connected":
                if handler.outgoing >= SUBSCRIBER_QUEUE:
                    self.dropped += 1
                    continue
                handler.outgoing += 1
                task = self.loop.create_task(handler.mqtt_publish(topic, data, at, retain=False))
                task.add_done_callback(handler.delivered)
            elif at and not session.clean_session:
                # Kept for the persistent session while it is away; amqtt sends it when it is back.
                if session.retained_messages.qsize() >= SUBSCRIBER_QUEUE:
                    self.dropped += 1
                    continue
                session.retained_messages.put_nowait(RetainedApplicationMessage(None, topic, data, at))

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Session
    ) -> None:
        # amqtt hands a new subscription every matching retained message, readable or not.
        who: Principal | None = getattr(session, "meterhub_principal", None)
        handler = self._get_handler(session)
        if who is None or handler is None:
            return
        topic_filter, qos = subscription
        sends = [
            handler.mqtt_publish(topic, kept.data, min(qos, kept.qos or qos), retain=True)
            for topic, kept in list(self._retained_messages.items())
            if self._matches(topic, topic_filter) and self.topics.may(who, topic, Access.READ)
        ]
        if sends:
            await asyncio.gather(*sends, return_exceptions=True)

    def _tell_dropped(self) -> None:
        if self.dropped > self._dropped_told:
            log.warning(
                "%d MQTT messages were stored but not delivered: their subscribers were %d behind",
                self.dropped - self._dropped_told,
                SUBSCRIBER_QUEUE,
            )
            self._dropped_told = self.dropped

    def _feed(self, rows: list[PointRow]) -> None:
        for row in rows:
            self.deliver(self.topics.of_stream(row[0]), self.topics.message(row), 0)

    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, remote_address: str, remote_port: int
    ) -> tuple[BrokerProtocolHandler, Session]:
        # amqtt's own looks the client id up in its session table, deleting or taking over the
        # session it finds, before the client is authenticated: anyone naming another token's
        # client id could end that session. Here the token is checked first, and a session is
        # found only by the token that made it (the table is keyed by token and client id).
        try:
            connect = await _mqtt_3_1_1_connect(reader, writer)
            handler, session = await _StoringHandler.init_from_connect(connect, writer, self.plugins_manager)
        except _OtherVersion as exc:
            self.platform.limited_log.log(
                log,
                logging.WARNING,
                ("mqtt version", remote_address, exc.level),
                "MQTT client from %s:%s refused: it speaks protocol level %s, the embedded broker MQTT "
                "3.1.1 (level 4); connect with 3.1.1, or use an external Mosquitto (METERHUB_MQTT_URL)",
                remote_address,
                remote_port,
                exc.level,
            )
            await writer.close()
            raise
        except MQTTError:
            await writer.close()
            raise
        handler.broker = self
        # (the token's lookup is database work: in a thread, not on the loop every client shares)
        who = await asyncio.to_thread(self._login, session, remote_address, remote_port)
        if who is None:
            session.client_id, session.clean_session = f"refused/{gen_client_id()}", True
        else:
            session.client_id = f"{who.credential_id}/{session.client_id or gen_client_id()}"
        session.parent = 0
        if session.clean_session:
            before = self._sessions.get(session.client_id)
            await self._delete_session(session.client_id)
            if before is not None and before[1] is not None and before[1].writer is not None:
                await before[1].writer.close()  # the client id's earlier connection ends (MQTT 3.1.4-2)
        elif (found := self._sessions.get(session.client_id)) is not None:
            kept = found[0]
            for name in ("will_flag", "will_message", "will_topic", "will_qos", "will_retain", "keep_alive"):
                setattr(kept, name, getattr(session, name))
            kept.parent = 1
            session = kept
        session.meterhub_principal = who
        return handler, session

    def _login(self, session: Session, address: str, port: int) -> Principal | None:
        """The connecting client's principal; None when it is refused, the log saying why (never
        with the token, which is the username; once a minute for a client that keeps trying)."""
        try:
            with self.platform.db.reader.connect() as conn:
                who = _admitted(conn, session.username or "")
            if session.will_flag and not self.topics.may(who, session.will_topic or "", Access.WRITE):
                # A last will on a topic it may not publish to would forge a message there.
                will = session.will_topic or ""
                raise Forbidden(f"its last will goes to {will!r}: {self.topics.refusal(who, will)}")
        except (Unauthorized, Forbidden) as exc:
            why = exc.reason if isinstance(exc, Unauthorized) else str(exc)
            self.platform.limited_log.log(
                log,
                logging.WARNING,
                ("mqtt login", address, why),
                "MQTT login of client %r from %s:%s refused: %s",
                session.client_id,
                address,
                port,
                why,
            )
            return None
        return who

    def _principals(self, tokens: set[str]) -> dict[str, Principal | None]:
        """Each token's principal, None for one that may not use MQTT (now)."""
        found: dict[str, Principal | None] = {}
        with self.platform.db.reader.connect() as conn:
            for token in tokens:
                who: Principal | None
                try:
                    who = _admitted(conn, token)
                except (Unauthorized, Forbidden):
                    who = None
                found[token] = who
        return found

    async def _authenticate(self, session: Session, _: ListenerConfig) -> bool:
        return getattr(session, "meterhub_principal", None) is not None

    async def _handle_client_session(
        self,
        reader: ReaderAdapter,
        writer: WriterAdapter,
        session: Session,
        handler: BrokerProtocolHandler,
        server: Server,
        listener_name: str,
    ) -> None:
        try:
            await super()._handle_client_session(reader, writer, session, handler, server, listener_name)
        finally:
            # amqtt keeps every session in its table, with its subscriptions, until its client id
            # connects again; a refused or clean one has nothing to keep.
            client_id = session.client_id or ""
            if session.clean_session and self._sessions.get(client_id, (None,))[0] is session:
                await self._cleanup_session(client_id)


# A CONNECT holds at most a client id, a will, a username and a password of 64 KiB each.
CONNECT_MAX_BYTES = 5 * 65_538


class _OtherVersion(MQTTError):
    def __init__(self, level: int | None) -> None:
        super().__init__(f"protocol level {level}")
        self.level = level


async def _mqtt_3_1_1_connect(reader: ReaderAdapter, writer: WriterAdapter) -> BufferReader:
    """The client's CONNECT packet, read whole, if it speaks MQTT 3.1.1. amqtt decodes any CONNECT
    as 3.1.1: an MQTT 5 one (its properties before the payload) is misread, and the client may wait
    for ever. Other versions are answered as their own protocol expects (then _OtherVersion)."""
    header = await MQTTFixedHeader.from_stream(reader)
    if header is None or header.packet_type != CONNECT or header.remaining_length > CONNECT_MAX_BYTES:
        raise MQTTError("the first packet is not a CONNECT of a sane size")
    body = await read_or_raise(reader, header.remaining_length)
    named = 2 + int.from_bytes(body[:2])  # the protocol name ("MQTT", 3.1's "MQIsdp") comes first
    level = body[named] if len(body) > named else None
    if level != MQTT_3_1_1:
        # MQTT 5 reads reason 0x84, unsupported protocol version; 3.1 reads return code 1, the same.
        writer.write(b"\x20\x03\x00\x84\x00" if level == MQTT_5 else b"\x20\x02\x00\x01")
        await writer.drain()
        raise _OtherVersion(level)
    return BufferReader(header.to_bytes() + body)


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
    outgoing = 0  # messages on their way to this client as a subscriber
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
                topic,
                MessageError(
                    f"dropped: {CLIENT_QUEUE} messages of this client waiting", reason="client too fast"
                ),
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
                topic,
                MessageError(
                    "wildcards + and # are for subscriptions; a message goes to one topic",
                    reason="wildcard topic",
                ),
            )
            await self._refuse(f"published to the wildcard topic {topic!r}")
            return
        if not self.broker.topics.may(who, topic, Access.WRITE):
            # As energydata.dk's broker: disconnected at once, no PUBACK, queued messages discarded.
            await self._refuse(f"published to {topic!r}: {self.broker.topics.refusal(who, topic)}")
            return
        stored = await self._store(topic, data)
        if self.refused or stored is None:
            return
        if publish_packet.qos == 2 or (stored and publish_packet.retain_flag):
            # QoS 2's handshake and retained messages stay amqtt's, which delivers them too (a QoS 2
            # message that could not be stored as well).
            await super().handle_publish(publish_packet)
            return
        await self._acknowledge(publish_packet)
        if stored:
            self.broker.deliver(topic, data, publish_packet.qos)

    async def _store(self, topic: str, data: bytes | bytearray) -> bool | None:
        """Store the message through the write path; an invalid one is counted for its dataset
        (the client stays connected and gets its ack). None: it could not be stored (a full disk):
        counted and left unacknowledged, for the client to send again."""
        try:
            rows = point_rows(topic, bytes(data), self.broker.topics.column, self.broker.platform.window)
            if self.refused:
                return False
            outcome = await self.broker.platform.writer.store(rows, feed=False, move=True)
            if outcome.clashes:
                raise taken(outcome.clashes[0].ts)
        except StorageFull as exc:
            self.broker.topics.count_error(topic, as_message_error(exc))
            return None
        except MeterhubError as exc:
            self.broker.topics.count_error(topic, as_message_error(exc))
            return False
        return True

    async def _acknowledge(self, publish_packet: PublishPacket) -> None:
        packet_id = publish_packet.variable_header.packet_id if publish_packet.variable_header else None
        if publish_packet.qos == 1 and packet_id is not None:
            await self._send_packet(PubackPacket.build(packet_id))

    def delivered(self, task: asyncio.Task[Any]) -> None:
        """A message sent to this subscriber is through (acknowledged, or given up)."""
        self.outgoing -= 1
        if not task.cancelled() and (problem := task.exception()) is not None:
            log.debug(
                "a message for %s was not delivered: %s", self.session and self.session.client_id, problem
            )

    async def _refuse(self, why: str) -> None:
        self.refused = True
        client_id = self.session and self.session.client_id
        # Once a minute for a client that reconnects and tries again.
        self.broker.platform.limited_log.log(
            log,
            logging.WARNING,
            ("mqtt publish", client_id, why),
            "MQTT client %r %s: disconnected",
            client_id,
            why,
        )
        if self.writer is not None:
            await self.writer.close()


def _admitted(conn: Connection, token: str) -> Principal:
    """The token's principal; Unauthorized or Forbidden (saying why) unless it may use MQTT."""
    who = keys.authenticate(conn, token).principal
    try:
        require_scope(who, PUBSUB)
    except Forbidden:
        raise Forbidden(f"key {who.credential_id} lacks the {PUBSUB} permission") from None
    return who


class TopicAccess(BaseTopicPlugin):
    """Subscriptions may use any filter; each message goes only to tokens that may read its dataset."""

    @dataclass
    class Config:
        broker: Any = field(default=None)

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        broker: EmbeddedBroker = self.context.config.broker
        who: Principal | None = getattr(session, "meterhub_principal", None)
        if who is None or topic is None:
            return False
        if action == Action.RECEIVE:
            return broker.topics.may(who, topic, Access.READ)
        return True  # subscriptions: checked per message; publishes: checked by _StoringHandler
