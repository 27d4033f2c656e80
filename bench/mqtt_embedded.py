"""energydata.dk MQTT on the embedded broker: QoS 1 publishes to storage, and publish-to-subscriber latency.

Throughput: 10 paho-mqtt clients (`--clients`), each with its own client id, network loop and
datastream, publish single-value messages (section 3.4.1) at QoS 1, each keeping 20 unacknowledged
(`--in-flight`): every PUBACK sends the next message. This broker acknowledges a message only after
its point is committed, so the PUBACKs counted over `--seconds` are stored messages; afterwards the
database must hold exactly the acknowledged points (each message a distinct stream and timestamp).
Target: ≥ 2,500 stored messages/s on one core of server. The client's own ceiling is measured
first against a null broker that acknowledges everything at once.

With `--subscriber` a client subscribed to `bench/#` takes every message during the load as well
(the broker skips what a subscriber 1,000 messages behind cannot take, and counts it). Afterwards a
subscriber's first message shows whether deliveries were behind when the load stopped.

Latency, on the server started afresh: one client publishes at a fixed rate (`--rate`, 500/s) over
ten streams of another dataset; a subscriber with a token of its own listens on `latency/#` (QoS 0).
Reported: publish → delivery to the subscriber and publish → PUBACK, p50/p99/max (no target);
every message must arrive once.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from sqlalchemy import text

import _common as c

TARGET_PER_S = 2_500
CLIENTS = 10
IN_FLIGHT = 20
CAPACITY_S = 3  # the run against the null broker
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z; message i of a stream is stamped START_MS + i
EMAIL = "mqtt@bench.invalid"
PREFIX, LATENCY_PREFIX = "bench", "latency"
LATENCY_STREAMS = 10
DRAIN_S = 30  # how long the messages in flight at the end may take to be acknowledged


# ---- the clients -------------------------------------------------------------------------------


def connected(port: int, key: str, client_id: str, *, in_flight: int = IN_FLIGHT) -> mqtt.Client:
    """A paho client with its network loop running, connected with the token as username."""
    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    client.username_pw_set(key)
    client.max_inflight_messages_set(in_flight)
    answered = threading.Event()
    codes: list[int] = []

    def on_connect(*args: Any) -> None:
        codes.append(args[3].value)
        answered.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port, 60)
    client.loop_start()
    if not answered.wait(10) or codes != [0]:
        client.loop_stop()
        sys.exit(f"{client_id} could not connect to 127.0.0.1:{port}: CONNACK {codes or 'none'}")
    return client


class Publisher:
    """One client publishing to its own stream, keeping `in_flight` messages unacknowledged."""

    def __init__(self, port: int, key: str, client_id: str, topic: str, in_flight: int) -> None:
        self.topic = topic
        self.in_flight = in_flight
        self.sent = self.acked = 0
        self.running = False
        self._lock = threading.Lock()  # the first messages go from the bench's thread, the rest from paho's
        self.client = connected(port, key, client_id, in_flight=in_flight)
        self.client.on_publish = self._acked

    def start(self) -> None:
        self.running = True
        for _ in range(self.in_flight):
            self._send()

    def _send(self) -> None:
        with self._lock:
            n = self.sent
            self.sent += 1
        payload = b'{"timestamp": %d, "value": %d.25}' % (START_MS + n, n % 100_000)
        self.client.publish(self.topic, payload, qos=1)

    def _acked(self, *_: Any) -> None:
        self.acked += 1  # only paho's thread counts
        if self.running:
            self._send()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish_for(
    port: int, key: str, topics: list[str], seconds: float, in_flight: int
) -> tuple[int, list[int]]:
    """Run one publisher per topic for `seconds`: messages acked within the time, and per topic after.

    When the time is up no new message is sent and those in flight are waited for; the counts per
    topic are what the database must hold.
    """
    publishers = [Publisher(port, key, f"bench-{i}", topic, in_flight) for i, topic in enumerate(topics)]
    t0 = time.perf_counter()
    for publisher in publishers:
        publisher.start()
    time.sleep(max(0.0, t0 + seconds - time.perf_counter()))
    for publisher in publishers:
        publisher.running = False
    in_time = sum(p.acked for p in publishers)
    deadline = time.monotonic() + DRAIN_S
    while any(p.acked < p.sent for p in publishers) and time.monotonic() < deadline:
        time.sleep(0.01)
    for publisher in publishers:
        publisher.close()
    unacked = sum(p.sent - p.acked for p in publishers)
    if unacked:
        print(f"  {unacked:,} messages still unacknowledged {DRAIN_S} s after the end", flush=True)
    return in_time, [p.acked for p in publishers]


def subscribed(
    port: int, key: str, received: list[tuple[int, float]], topic: str = f"{LATENCY_PREFIX}/#"
) -> mqtt.Client:
    """A client subscribed to the topic (`latency/#`) that notes each message's timestamp and arrival time."""
    client = connected(port, key, f"bench-subscriber-{topic}")
    client.on_message = lambda c, u, m: received.append(
        (orjson.loads(m.payload)["timestamp"], time.perf_counter())
    )
    done = threading.Event()
    client.on_subscribe = lambda *args: done.set()
    client.subscribe(topic, qos=0)
    if not done.wait(10):
        sys.exit("the subscription was not acknowledged")
    return client


def first_delivery(port: int, keys: tuple[str, str], topic: str, ts: int) -> float:
    """Publish one message and wait until a subscriber has it: when the broker's queues are through.

    The broker hands messages to subscribers in order, so this one arrives once whatever was still
    queued from the load before is delivered.
    """
    received: list[tuple[int, float]] = []
    subscriber = subscribed(port, keys[1], received)
    publisher = connected(port, keys[0], "bench-probe")
    publisher.publish(topic, b'{"timestamp": %d, "value": 0.5}' % ts, qos=1)
    deadline = time.monotonic() + DRAIN_S
    while not received and time.monotonic() < deadline:
        time.sleep(0.001)
    for client in (publisher, subscriber):
        client.disconnect()
        client.loop_stop()
    return time.perf_counter()


def latencies(
    port: int, keys: tuple[str, str], topics: list[str], rate: int, seconds: float
) -> dict[str, Any]:
    """Publish `rate` messages a second round the topics; when each reached the subscriber and its PUBACK came.

    Message i carries timestamp START_MS + i, which the subscriber reads back to find its send time.
    """
    sent_at: dict[int, float] = {}  # timestamp -> perf_counter at publish
    mids: dict[int, int] = {}  # paho's message id (unique below 65,536 messages) -> timestamp
    received: list[tuple[int, float]] = []
    acked_at: dict[int, float] = {}
    subscriber = subscribed(port, keys[1], received)
    publisher = connected(port, keys[0], "bench-latency")
    publisher.on_publish = lambda c, u, mid, *rest: acked_at.setdefault(mid, time.perf_counter())

    n = int(rate * seconds)
    t0 = time.perf_counter()
    for i in range(n):
        wait = t0 + i / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        ts = START_MS + i
        payload = b'{"timestamp": %d, "value": %d.5}' % (ts, i)
        sent_at[ts] = time.perf_counter()
        mids[publisher.publish(topics[i % len(topics)], payload, qos=1).mid] = ts
    sending_s = time.perf_counter() - t0
    deadline = time.monotonic() + DRAIN_S
    while (len(received) < n or len(acked_at) < n) and time.monotonic() < deadline:
        time.sleep(0.01)
    publisher.disconnect()
    publisher.loop_stop()
    subscriber.disconnect()
    subscriber.loop_stop()
    received_at = dict(reversed(received))  # the first arrival of each
    return {
        "sent": n,
        "rate": n / sending_s,
        "duplicates": len(received) - len(received_at),
        "delivered_ms": [(t - sent_at[ts]) * 1000 for ts, t in received_at.items() if ts in sent_at],
        "acked_ms": [(t - sent_at[mids[mid]]) * 1000 for mid, t in acked_at.items() if mid in mids],
    }


# ---- the null broker: what the clients can do when acknowledging costs nothing --------------------


class _NullBroker(asyncio.Protocol):
    """Answers CONNECT, QoS 1 PUBLISH, SUBSCRIBE and PINGREQ at once; keeps nothing."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer, out = self.buffer, bytearray()
        buffer += data
        while (packet := _next_packet(buffer)) is not None:
            start, end = packet
            kind, flags = buffer[0] >> 4, buffer[0] & 0x0F
            if kind == 1:  # CONNECT -> CONNACK accepted
                out += b"\x20\x02\x00\x00"
            elif kind == 3 and flags & 0x06:  # PUBLISH at QoS 1 -> PUBACK with its packet id
                at = start + 2 + int.from_bytes(buffer[start : start + 2], "big")
                out += b"\x40\x02" + buffer[at : at + 2]
            elif kind == 8:  # SUBSCRIBE -> SUBACK granting QoS 0
                out += b"\x90\x03" + buffer[start : start + 2] + b"\x00"
            elif kind == 12:  # PINGREQ -> PINGRESP
                out += b"\xd0\x00"
            elif kind == 14:  # DISCONNECT
                self.transport.close()
            del buffer[:end]
        if out:
            self.transport.write(bytes(out))


def _next_packet(buffer: bytearray) -> tuple[int, int] | None:
    """Where the first whole packet's variable part starts and the packet ends, if it is all there."""
    length, shift, at = 0, 0, 1
    while at < len(buffer):
        byte = buffer[at]
        length |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return (at, at + length) if len(buffer) >= at + length else None
        shift += 7
    return None


def serve_null_broker(port: int) -> None:
    """Run the null broker on loopback until killed."""

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(_NullBroker, "127.0.0.1", port)
        await server.serve_forever()

    try:
        import uvloop

        uvloop.run(serve())
    except ImportError:
        asyncio.run(serve())


@contextmanager
def null_broker(workdir: Path) -> Iterator[int]:
    """The null broker in its own process on the server's CPU; its port."""
    port = c.free_port()
    log = (workdir / "null-broker.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, __file__, "--null-broker", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: c.pin(c.SERVER_CPU),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the null broker did not start: see {log.name}") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


# ---- the run -----------------------------------------------------------------------------------


class CpuUse:
    """CPU seconds of the server, of the clients (this process) and of everything else, over a block.

    The rest tells whether something else (another session's tests, say) shared the machine.
    """

    def __init__(self, server: c.Server) -> None:
        self._server = server

    def __enter__(self) -> CpuUse:
        self._start = self._now()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall_s, self.user_s, self.system_s, self.client_s, self.other_s = (
            b - a for a, b in zip(self._start, self._now(), strict=True)
        )
        self.other_s -= self.user_s + self.system_s + self.client_s

    def _now(self) -> tuple[float, float, float, float, float]:
        # The machine's user, nice and system time: what processes ran (interrupts not counted).
        busy = sum(int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:4])
        own = os.times()
        user, system = self._server.cpu_seconds()
        return time.perf_counter(), user, system, own.user + own.system, busy / os.sysconf("SC_CLK_TCK")


def stored_per_stream(url: str, workdir: Path, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per stream: (points, first timestamp, last timestamp) as stored."""
    p = c.open_platform(url, workdir)
    try:
        with p.db.reader.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT stream_id, COUNT(*), MIN(ts), MAX(ts) FROM points_real "
                    f"WHERE stream_id IN ({','.join(map(str, ids))}) GROUP BY stream_id"
                )
            )
            return {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    finally:
        p.close()


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="how long to publish (default 20)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help=f"publishers (default {CLIENTS})")
    parser.add_argument(
        "--in-flight", type=int, default=IN_FLIGHT, help=f"unacknowledged messages per client ({IN_FLIGHT})"
    )
    parser.add_argument("--rate", type=int, default=500, help="messages/s of the latency run (default 500)")
    parser.add_argument("--latency-seconds", type=float, default=10, help="length of the latency run (10)")
    parser.add_argument("--profile", type=Path, help="sample the server with py-spy into this file")
    parser.add_argument(
        "--subscriber", action="store_true", help="a subscriber on bench/# during the load (QoS 0)"
    )
    parser.add_argument("--null-broker", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.null_broker:
        serve_null_broker(args.null_broker)
        return
    if args.rate * args.latency_seconds >= 65_536:
        sys.exit("the latency run tells its messages apart by paho's 16-bit id: keep rate x seconds < 65,536")
    c.pin(c.CLIENT_CPU)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        url = c.database_url(args.database_url, workdir)
        report = c.Report(
            f"mqtt_embedded: QoS 1 to storage, {args.clients} clients x {args.in_flight} in flight", url
        )
        p = c.open_platform(url, workdir)
        try:
            account = c.make_account(p, email=EMAIL)
            ids = c.double_streams(p, account.site_id, args.clients, PREFIX)
            c.double_streams(p, account.site_id, LATENCY_STREAMS, LATENCY_PREFIX)
            publisher_key = c.token(p, EMAIL, "mqtt-pubsub")
            subscriber_key = c.token(p, EMAIL, "mqtt-pubsub")
        finally:
            p.close()
        topics = [f"{PREFIX}/s{i}" for i in range(args.clients)]

        with null_broker(workdir) as port:
            capacity, _ = publish_for(port, "null", topics, CAPACITY_S, args.in_flight)
        report.figure("client capacity (null broker)", f"{capacity / CAPACITY_S:,.0f} msg/s")

        latency_topics = [f"{LATENCY_PREFIX}/s{i}" for i in range(LATENCY_STREAMS)]
        keys = (publisher_key, subscriber_key)
        with c.meterhub_server(url, workdir) as server:
            watched: list[tuple[int, float]] = []
            watcher = (
                subscribed(server.mqtt_port, subscriber_key, watched, f"{PREFIX}/#")
                if args.subscriber
                else None
            )
            with (
                c.PeakRss(server) as memory,
                c.profiled(server.proc.pid, args.profile),
                CpuUse(server) as cpu,
            ):
                in_time, acked = publish_for(
                    server.mqtt_port, publisher_key, topics, args.seconds, args.in_flight
                )
                ended = time.perf_counter()
            if watcher is not None:
                watcher.disconnect()
                watcher.loop_stop()
            behind_s = first_delivery(server.mqtt_port, keys, latency_topics[0], START_MS - 1) - ended
            after_kb = server.memory_kb()["VmRSS"]
        # The latency at a moderate rate on a fresh server: not behind the load's queues and WAL.
        # The bench's heap frozen first, so that no full collection of it holds up a callback.
        gc.collect()
        gc.freeze()
        with c.meterhub_server(url, workdir) as server:
            latency = latencies(server.mqtt_port, keys, latency_topics, args.rate, args.latency_seconds)

        stored = stored_per_stream(url, workdir, ids)
        report.figure(
            "messages acknowledged",
            f"{in_time:,} in {args.seconds:g} s (+{sum(acked) - in_time} in flight at the end)",
        )
        report.target("throughput (acked = stored)", in_time / args.seconds, "msg/s", at_least=TARGET_PER_S)
        report.figure(
            "server CPU busy (of one core)",
            f"{(cpu.user_s + cpu.system_s) / cpu.wall_s:.0%} "
            f"(user {cpu.user_s / cpu.wall_s:.0%}, system {cpu.system_s / cpu.wall_s:.0%})",
        )
        report.figure("clients' CPU (of one core)", f"{cpu.client_s / cpu.wall_s:.0%}")
        # Everything else: PostgreSQL's backends, py-spy when profiling, and whatever else shares
        # the machine (another session's tests, say), which makes the figures above unreliable.
        report.figure("other processes' CPU", f"{cpu.other_s / cpu.wall_s:.2f} cores")
        report.figure(
            "server RSS before / peak / after",
            f"{memory.before / 1024:.0f} / {memory.peak / 1024:.0f} / {after_kb / 1024:.0f} MiB "
            f"(peak +{memory.growth_mb:.1f} MB)",
        )
        report.figure("points stored", f"{sum(n for n, _, _ in stored.values()):,}")
        if args.subscriber:
            # What the broker could not hand on while the load lasted it skipped (and counted), stored all the same.
            report.figure("delivered to the subscriber on bench/#", f"{len(watched):,} of {sum(acked):,}")
        # Client i's messages were stamped START_MS, START_MS + 1, … on stream i: exactly the acked
        # ones are stored when the stream holds that many points, the first and last where expected.
        for sid, n in zip(ids, acked, strict=True):
            found = stored.get(sid, (0, START_MS, START_MS - 1))
            if found != (n, START_MS, START_MS + n - 1):
                report.fail(f"stream {sid}: {n:,} messages acked, stored (count, first, last) = {found}")

        delivered, acked_ms = latency["delivered_ms"], latency["acked_ms"]
        # How far deliveries to subscribers were behind when the load stopped.
        report.figure("a subscriber's first message", f"{behind_s * 1000:,.0f} ms after the load ended")
        report.figure("latency run", f"{latency['sent']:,} messages at {latency['rate']:,.0f}/s, QoS 1")
        for name, values in (("publish → subscriber", delivered), ("publish → PUBACK", acked_ms)):
            if values:
                figures = [c.percentile(values, 50), c.percentile(values, 99), max(values)]
                report.figure(f"{name} p50/p99/max", " / ".join(f"{v:.1f}" for v in figures) + " ms")
        if len(delivered) != latency["sent"] or len(acked_ms) != latency["sent"] or latency["duplicates"]:
            report.fail(
                f"of {latency['sent']:,} messages {len(delivered):,} reached the subscriber "
                f"({latency['duplicates']:,} twice) and {len(acked_ms):,} were acknowledged"
            )
        report.exit()


if __name__ == "__main__":
    main()
