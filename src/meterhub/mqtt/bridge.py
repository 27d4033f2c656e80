"""meterhub on an external Mosquitto: ingest through a persistent session, the live feed, and the
broker's accounts kept in line with meterhub's tokens.

Mosquitto acknowledges a publisher on receipt. What makes that safe is meterhub's session: clean
start off and no expiry, QoS 1, and each message acknowledged to Mosquitto only once its points are
committed. Until then Mosquitto keeps it, and sends it again when meterhub reconnects, whether
meterhub was killed or the network failed; the write path settles a repeat as already stored.
Messages published while meterhub is away wait in the session (with Mosquitto's persistence on,
even across a broker restart).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from meterhub.core.errors import MeterhubError, StorageFull
from meterhub.ingest.mqtt_messages import MessageError, as_message_error, point_rows, taken
from meterhub.ingest.write_path import BatchOutcome, PointRow
from meterhub.mqtt.broker_accounts import SERVICE_CLIENT, BrokerAccounts
from meterhub.mqtt.dynsec import BrokerUnavailable, BrokerUrl, DynamicSecurity
from meterhub.mqtt.topics import Topics
from meterhub.platform import Platform

log = logging.getLogger(__name__)

# Messages Mosquitto may have sent meterhub and not yet had acknowledged (MQTT 5 Receive Maximum):
# enough to fill several commits, so that the broker never waits for one.
IN_FLIGHT = 2000
NEVER_EXPIRES = 0xFFFFFFFF
ACCOUNTS_LOOK_S = 1.0  # revoked and expired tokens
ACCOUNTS_SYNC_S = 10.0  # everything else (datasets, licences, memberships)
FEED_BACKLOG = 10_000
CONNECT_TIMEOUT_S = 10.0
RETRY_S = 1.0  # a message the database failed to take is written again after this


@dataclass(slots=True)
class _Received:
    """A message as the ingest client hands it over (paho's MQTTMessage has the same fields)."""

    topic: str
    payload: bytes
    mid: int
    qos: int


Message = mqtt.MQTTMessage | _Received
Pending = list[tuple[Message, list[PointRow]]]


class _IngestClient(mqtt.Client):
    """paho's client, reading the QoS 1 messages meterhub ingests the short way.

    For every PUBLISH paho builds an MQTT 5 Properties object, an MQTTMessage with a Condition of
    its own and a topic-filter match: about half of a worker's time (bench/mqtt_mosquitto.py). A
    QoS 1 packet without properties (what Mosquitto sends for a plain publish), to be acknowledged
    by hand, is read here and handed straight to on_message; every other packet goes paho's way.
    """

    def _handle_publish(self) -> MQTTErrorCode:
        header, packet = self._in_packet["command"], self._in_packet["packet"]
        at = 2 + int.from_bytes(packet[:2], "big")  # past the topic: the packet id, then properties
        plain = header & 0x06 == 0x02 and len(packet) >= at + 3 and packet[at + 2] == 0
        if not plain or not self._manual_ack:
            return super()._handle_publish()
        try:
            topic = packet[2:at].decode()
        except UnicodeDecodeError:
            return super()._handle_publish()
        message = _Received(topic, bytes(packet[at + 3 :]), int.from_bytes(packet[at : at + 2], "big"), 1)
        take = self.on_message
        if take is not None:
            with self._in_callback_mutex:
                take(self, self._userdata, message)  # type: ignore[arg-type]
        return MQTTErrorCode.MQTT_ERR_SUCCESS


def service_password(secret: bytes) -> str:
    """The password of meterhub's own broker client, the same for every worker sharing the key."""
    return hmac.new(secret, b"mqtt service client", hashlib.sha256).hexdigest()


class MosquittoBridge:
    """One ingest worker: a persistent session subscribed to every topic (or to a shared
    subscription's share, when several workers split the load)."""

    def __init__(self, platform: Platform, url: BrokerUrl, *, client_id: str, share: str = "") -> None:
        self.platform = platform
        self.url = url
        self.topics = Topics(platform)
        self.dropped = 0  # live-feed messages dropped because the broker was behind
        self._share = share
        self._admin = DynamicSecurity(url)
        self.accounts = BrokerAccounts(platform.db, self._admin)
        password = service_password(platform.secret)
        self.accounts.prepare(password)
        self.accounts.sync()
        # As url.client makes it, of the quicker class.
        self._client = _IngestClient(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        self._client.username_pw_set(SERVICE_CLIENT, password)
        if url.tls:
            self._client.tls_set()
        self._client.on_connect = self._connected
        self._client.on_message = self._arrived
        self._subscribed = threading.Event()
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._feed: queue.SimpleQueue[list[PointRow] | None] = queue.SimpleQueue()
        self._pending: Pending = []
        self._pending_lock = threading.Lock()
        self._writing = False  # whether a batch is with the writer
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._look_after_accounts, name="meterhub-mqtt-accounts", daemon=True),
            threading.Thread(target=self._publish_feed, name="meterhub-mqtt-feed", daemon=True),
        ]

    def start(self) -> None:
        """Connect, resume the session (and take what waited in it), and start feeding."""
        session = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # (paho 2.2 leaves it untyped)
        session.SessionExpiryInterval = NEVER_EXPIRES
        session.ReceiveMaximum = IN_FLIGHT
        try:
            self._client.connect(
                self.url.host, self.url.port, keepalive=30, clean_start=False, properties=session
            )
        except OSError as exc:
            raise BrokerUnavailable(f"the MQTT broker at {self.url} cannot be reached ({exc})") from None
        self._client.loop_start()
        if not self._subscribed.wait(CONNECT_TIMEOUT_S):
            self._client.loop_stop()
            self._admin.close()
            raise BrokerUnavailable(
                f"meterhub's client could not subscribe at {self.url}: see the broker's log"
            )
        # Every server's bridge publishes what it stored to the one Mosquitto all clients use: the
        # other servers' points reach them so already.
        self.platform.feed.subscribe(self._committed, others=False)
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop taking messages; what is not yet acknowledged stays with the broker."""
        self._stop.set()
        if self._subscribed.is_set():
            self.platform.feed.unsubscribe(self._committed)
        self._feed.put(None)
        self._client.disconnect()
        self._client.loop_stop()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(5)
        self._admin.close()

    def _connected(
        self,
        client: mqtt.Client,
        _userdata: object,
        _flags: object,
        rc: ReasonCode,
        _props: object = None,
    ) -> None:
        if rc.is_failure:
            log.error("the MQTT broker at %s refused meterhub's client: %s", self.url, rc)
            return
        # Retained messages were stored when they were published; don't take them again.
        options = SubscribeOptions(qos=1, noLocal=not self._share, retainHandling=2)
        # Shared subscriptions may not set no-local: a worker then gets the feed's messages back too,
        # which the write path finds already stored.
        if self._share:
            options = SubscribeOptions(qos=1, retainHandling=2)
        client.subscribe(f"$share/{self._share}/#" if self._share else "#", options=options)

    def _arrived(self, client: mqtt.Client, _userdata: object, message: Message) -> None:
        try:
            rows = point_rows(message.topic, message.payload, self.topics.column, self.platform.window)
        except MessageError as exc:
            self.topics.count_error(message.topic, exc)
            client.ack(message.mid, message.qos)
            return
        with self._pending_lock:
            self._pending.append((message, rows))
            if self._writing:
                return  # it goes with the next batch, when the one being written is committed
            self._writing = True
        self._write_pending()

    def _write_pending(self) -> None:
        # One batch at a time: what arrives while it is written waits, and goes together next. A
        # writer job and a Future per message took a fifth of a worker's time; now they come per commit.
        with self._pending_lock:
            batch, self._pending = self._pending, []
            if not batch:
                self._writing = False
                return
        rows = [row for _, message_rows in batch for row in message_rows]
        stored = self.platform.writer.submit(rows, feed=False, move=True)
        stored.add_done_callback(partial(self._batch_settled, batch))

    def _batch_settled(self, batch: Pending, stored: Future[BatchOutcome]) -> None:
        # On the writer's thread, in commit order.
        if stored.exception() is None and not stored.result().clashes:
            for message, _ in batch:
                self._client.ack(message.mid, message.qos)
        elif len(batch) == 1:
            self._settled(*batch[0], stored)
        else:
            # Something in the batch was refused (nothing of it is stored): each message alone, so
            # that only the refused ones are counted, or left unacknowledged when the database failed.
            for message, rows in batch:
                self._write_alone(message, rows)
        self._write_pending()

    def _write_alone(self, message: Message, rows: list[PointRow]) -> None:
        if not self._stop.is_set():
            self.platform.writer.submit(rows, feed=False, move=True).add_done_callback(
                partial(self._settled, message, rows)
            )

    def _settled(self, message: Message, rows: list[PointRow], stored: Future[BatchOutcome]) -> None:
        # On the writer's thread, in commit order.
        problem = stored.exception()
        if isinstance(problem, StorageFull):
            self.topics.count_error(message.topic, as_message_error(problem))
        if problem is not None and (
            isinstance(problem, StorageFull) or not isinstance(problem, MeterhubError)
        ):
            # The database failed: no ack, so the broker keeps the message. Tried again shortly, so
            # that a database back from a restart takes it (Mosquitto itself sends an unacknowledged
            # message again only when meterhub reconnects).
            log.error("an MQTT message on %s could not be stored (%s): trying again", message.topic, problem)
            retry = threading.Timer(RETRY_S, self._write_alone, (message, rows))
            retry.daemon = True
            retry.start()
            return
        if problem is not None:
            self.topics.count_error(message.topic, as_message_error(problem))
        elif clashes := stored.result().clashes:
            self.topics.count_error(message.topic, taken(clashes[0].ts))
        self._client.ack(message.mid, message.qos)

    def _committed(self, rows: list[PointRow]) -> None:
        # On the writer's thread: hand over, never wait for the broker.
        if self._feed.qsize() >= FEED_BACKLOG:
            self.dropped += len(rows)
            return
        self._feed.put(rows)

    def _publish_feed(self) -> None:
        while (rows := self._feed.get()) is not None:
            for row in rows:
                self._client.publish(self.topics.of_stream(row[0]), self.topics.message(row), qos=0)

    def _look_after_accounts(self) -> None:
        since_sync = 0.0
        while not self._stop.wait(ACCOUNTS_LOOK_S):
            since_sync += ACCOUNTS_LOOK_S
            try:
                if since_sync >= ACCOUNTS_SYNC_S:
                    since_sync = 0.0
                    self.accounts.sync()
                else:
                    self.accounts.drop_unusable()
            except MeterhubError as exc:
                log.warning("the broker's accounts could not be brought in line: %s", exc)


def start_bridge(platform: Platform) -> MosquittoBridge:
    """The configured external broker's ingest worker, started, its accounts given to the platform;
    SystemExit saying what to fix when the broker cannot be used."""
    settings = platform.settings
    try:
        bridge = MosquittoBridge(
            platform,
            BrokerUrl.parse(settings.mqtt_url),
            client_id=settings.mqtt_client_id,
            share=settings.mqtt_share,
        )
        bridge.start()
    except (ValueError, MeterhubError) as exc:
        raise SystemExit(f"{exc}") from None
    platform.broker_accounts = bridge.accounts
    return bridge
