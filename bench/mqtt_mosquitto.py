"""energydata.dk MQTT on an external Mosquitto: QoS 1 publishes stored by `meterhub mqtt-ingest`
workers, and publish-to-subscriber latency.

Every run has a Mosquitto of its own (tests/mqtt/mosquitto.py: dynamic security and persistence on,
as the README has users run it), pinned with the workers to the server CPU: it is server side, and
the second CPU runs only the load. 10 paho-mqtt clients (`--clients`, in `--publishers` processes),
each with a token-authenticated connection and a datastream of its own, publish `--messages`
single-value messages in all (section 3.4.1, each a distinct stream and millisecond timestamp) at
QoS 1, each keeping 20 unacknowledged (`--in-flight`). Mosquitto acknowledges them on receipt; a
worker takes them through its persistent session and acknowledges each to Mosquitto only once its
point is committed. Every run must end with exactly its messages stored.

- publishers' ceiling: the same load against a Mosquitto nobody subscribes to.
- live: ONE worker running while the load is published; from the first publish until the database
  holds every message (polled every 0.1 s). Target: >= 8,000 stored messages/s.
- catch-up: the messages are published while the workers are away, and wait in their sessions; from
  the workers' return until all are stored: what workers do when the load is not the limit. With
  one worker, then `--workers` (2) sharing `$share/bench/#` (METERHUB_MQTT_SHARE, one client id
  each; the second on the second CPU, which the load has left by then). No target.
- latency: the live run's worker still running, a client publishes at `--rate` (500/s) round ten
  streams of another dataset; a subscriber with a token of its own listens on `latency/#` (QoS 1).
  Reported: publish -> subscriber and publish -> PUBACK, p50/p99/max (no target); every message
  must arrive once and be stored.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from sqlalchemy import text

import _common as c
from meterhub.auth import keys
from meterhub.mqtt.broker_accounts import BrokerAccounts
from meterhub.mqtt.dynsec import BrokerUrl, DynamicSecurity
from meterhub.platform import Platform
from meterhub.store import accounts

sys.path.insert(0, str(c.BENCH.parent))  # the tests' Mosquitto, started as the README tells users to
from tests.mqtt.mosquitto import Mosquitto, mosquitto

TARGET_PER_S = 8_000
MESSAGES = 200_000
CLIENTS = 10
IN_FLIGHT = 20
PUBLISHERS = 2  # processes: a little more than one gives (22-24k vs 19-22k msg/s, 5 clients a GIL)
WORKERS = 2
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z; the first message of every stream and run
EMAIL = "mosquitto@bench.invalid"
PREFIX, LATENCY_PREFIX = "bench", "latency"
LATENCY_STREAMS = 10
POLL_S = 0.1
DRAIN_S = 30  # how long the latency run's last messages may take
SHARE = "bench"


# ---- the publishers (processes of their own, on the client CPU) --------------------------------


def connected(port: int, key: str, client_id: str, *, in_flight: int = IN_FLIGHT) -> mqtt.Client:
    """A paho client with its network loop running, connected with the token as username and password."""
    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    client.username_pw_set(key, key)
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
    """One client sending `count` messages to its stream, keeping `in_flight` unacknowledged."""

    def __init__(self, port: int, key: str, client_id: str, topic: str, first_ts: int, count: int) -> None:
        self.topic, self.first_ts, self.count = topic, first_ts, count
        self.sent = self.acked = 0
        self.done = threading.Event()
        self.last_ack = 0.0
        self._lock = threading.Lock()  # the first messages go from the main thread, the rest from paho's
        self.client = connected(port, key, client_id)
        self.client.on_publish = self._acked

    def start(self, in_flight: int) -> None:
        for _ in range(min(in_flight, self.count)):
            self._send()

    def _send(self) -> None:
        with self._lock:
            n = self.sent
            if n >= self.count:
                return
            self.sent += 1
        payload = b'{"timestamp": %d, "value": %d.25}' % (self.first_ts + n, n % 100_000)
        self.client.publish(self.topic, payload, qos=1)

    def _acked(self, *_: Any) -> None:
        self.acked += 1  # only paho's thread counts
        if self.acked >= self.count:
            self.last_ack = time.monotonic()
            self.done.set()
        else:
            self._send()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run_publishers(spec: dict[str, Any]) -> None:
    """The `--publish` process: connect, say ready, wait for `go` on stdin, publish, report as JSON."""
    c.pin(c.CLIENT_CPU)
    publishers = [
        Publisher(spec["port"], spec["key"], f"bench-{i}", topic, spec["first_ts"], spec["count"])
        for i, topic in spec["topics"]
    ]
    print("ready", flush=True)
    sys.stdin.readline()
    before = os.times()
    for publisher in publishers:
        publisher.start(spec["in_flight"])
    finished = all(p.done.wait(spec["timeout_s"]) for p in publishers)
    after = os.times()
    for publisher in publishers:
        publisher.close()
    report = {
        "finished": finished,
        "acked": sum(p.acked for p in publishers),
        "last_ack": max(p.last_ack for p in publishers),
        "cpu_s": after.user + after.system - before.user - before.system,
    }
    print(json.dumps(report), flush=True)


@dataclass
class Load:
    """The publisher processes of one run, connected and waiting for the signal."""

    procs: list[subprocess.Popen[str]]

    def go(self) -> float:
        """Start every publisher at once; the moment they were told."""
        started = time.monotonic()
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return started

    def results(self) -> list[dict[str, Any]]:
        """Each process's report, once it finished."""
        out = []
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            proc.wait(30)
            if not line:
                raise RuntimeError(f"a publisher process exited with {proc.returncode} and no report")
            out.append(json.loads(line))
        return out


@contextmanager
def load(port: int, key: str, args: argparse.Namespace, first_ts: int, timeout_s: float) -> Iterator[Load]:
    """`--publishers` processes, `--clients` clients between them, each with its share of `--messages`."""
    per_client = args.messages // args.clients
    procs = []
    try:
        for k in range(args.publishers):
            spec = {
                "port": port,
                "key": key,
                "topics": [(i, f"{PREFIX}/s{i}") for i in range(k, args.clients, args.publishers)],
                "first_ts": first_ts,
                "count": per_client,
                "in_flight": args.in_flight,
                "timeout_s": timeout_s,
            }
            procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--publish", json.dumps(spec)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a publisher process could not connect")
        yield Load(procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# ---- the broker, its accounts and the workers --------------------------------------------------


@contextmanager
def server_broker(directory: Path) -> Iterator[Mosquitto]:
    """The tests' Mosquitto, on the server CPU: it is server side, and the load's core stays the load's."""
    with mosquitto(directory) as broker:
        if not c.SERVER_ON_ALL_CPUS and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(broker.process.pid, {c.SERVER_CPU})
        yield broker


def pubsub_token(p: Platform, broker: Mosquitto) -> str:
    """A new mqtt-pubsub token of the bench user, made a client of this broker as it is issued."""
    with (
        DynamicSecurity(BrokerUrl.parse(broker.admin_url)) as admin,
        p.db.writer.begin() as conn,
    ):
        user = accounts.get_user(conn, email=EMAIL)
        _, key = keys.issue_key(conn, user_id=user.id, site_id=None, scopes=("mqtt-pubsub",))
        BrokerAccounts(p.db, admin).issued(conn, key)
    return key


class Worker:
    """`meterhub mqtt-ingest` in a process of its own, pinned to one CPU (unless told otherwise)."""

    def __init__(
        self, url: str, workdir: Path, broker: Mosquitto, client_id: str, share: str, cpu: int
    ) -> None:
        self.client_id = client_id
        self.log_path = workdir / f"{client_id}.log"
        self._log = self.log_path.open("ab")
        env = {
            **os.environ,
            "METERHUB_DATA_DIR": str(workdir),
            "METERHUB_DATABASE_URL": url,
            "METERHUB_MQTT_URL": broker.admin_url,
            "METERHUB_MQTT_CLIENT_ID": client_id,
            "METERHUB_MQTT_SHARE": share,
        }
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("meterhub")), "mqtt-ingest"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            preexec_fn=None if c.SERVER_ON_ALL_CPUS else lambda: c.pin(cpu),
        )

    def wait_ready(self) -> None:
        """Until it says it is running (its session subscribed)."""
        assert self.proc.stdout is not None
        said = self.proc.stdout.readline()
        self.proc.stdout.close()  # it says nothing more there
        if "ingest worker" not in said:
            self.stop()
            raise RuntimeError(f"{self.client_id} did not start:\n{said}{self.log_path.read_text()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) it has used so far."""
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM: it stops taking messages; what is not acknowledged stays with the broker."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextmanager
def workers(url: str, workdir: Path, broker: Mosquitto, count: int) -> Iterator[list[Worker]]:
    """`count` workers, started together and ready: one on `#`, or several sharing `$share/bench/#`.

    The first is on the server CPU, a second on the next one (a second core is what a second
    worker is for).
    """
    started: list[Worker] = []
    try:
        for i in range(count):
            client_id = "meterhub-ingest" if count == 1 else f"meterhub-ingest-{i + 1}"
            cpu = (c.SERVER_CPU + i) % (os.cpu_count() or 1)
            started.append(Worker(url, workdir, broker, client_id, SHARE if count > 1 else "", cpu))
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used (user, nice, system) since boot."""
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:4]
    return sum(int(f) for f in busy) / os.sysconf("SC_CLK_TCK")


# ---- the runs -----------------------------------------------------------------------------------


def stored_count(p: Platform, ids: list[int], first_ts: int, count: int) -> int:
    """Points of these streams in [first_ts, first_ts + count)."""
    with p.db.reader.connect() as conn:
        return int(
            conn.execute(
                text(
                    f"SELECT COUNT(*) FROM points_real WHERE stream_id IN ({','.join(map(str, ids))}) "
                    "AND ts >= :lo AND ts < :hi"
                ),
                {"lo": first_ts, "hi": first_ts + count},
            ).scalar_one()
        )


def per_stream(p: Platform, ids: list[int], first_ts: int, count: int) -> dict[int, tuple[int, int, int]]:
    """Per stream: (points, first timestamp, last timestamp) in [first_ts, first_ts + count)."""
    with p.db.reader.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT stream_id, COUNT(*), MIN(ts), MAX(ts) FROM points_real "
                f"WHERE stream_id IN ({','.join(map(str, ids))}) AND ts >= :lo AND ts < :hi "
                "GROUP BY stream_id"
            ),
            {"lo": first_ts, "hi": first_ts + count},
        )
        return {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}


@dataclass
class Run:
    name: str
    first_ts: int  # of every stream's messages in this run
    messages: int
    seconds: float  # from the start until all were stored
    stored_at_start: int
    complete: bool
    worker_cpu_s: list[float]
    broker_cpu_s: float
    machine_cpu_s: float  # every process's, the database's and the bench's too
    published_s: float | None = None  # live: until Mosquitto had acknowledged every publish
    stored_when_published: int = 0
    publishers_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        return (self.messages - self.stored_at_start) / self.seconds


class Stopwatch:
    """CPU seconds of the workers and of Mosquitto, and the database's count, from `start` on."""

    def __init__(self, p: Platform, ids: list[int], first_ts: int, total: int, timeout_s: float) -> None:
        self.p, self.ids, self.first_ts, self.total, self.timeout_s = p, ids, first_ts, total, timeout_s

    def start(self, running: list[Worker], broker: Mosquitto) -> None:
        self.running, self.broker = running, broker
        self.cpu = [w.cpu_seconds() for w in running]
        self.broker_cpu = cpu_seconds(broker.process.pid)
        self.machine_cpu = machine_cpu_seconds()
        self.stored_at_start = stored_count(self.p, self.ids, self.first_ts, self.total)
        self.started = time.monotonic()

    def until_stored(self, published: list[dict[str, Any]] | None = None) -> int:
        """Poll until every message is stored (or the time is up); how many were stored when the
        publishers (if any) had reported."""
        stored = self.stored_at_start
        self.stored_when_published = 0
        while stored < self.total and time.monotonic() - self.started < self.timeout_s:
            time.sleep(POLL_S)
            stored = stored_count(self.p, self.ids, self.first_ts, self.total)
            if published and not self.stored_when_published:
                self.stored_when_published = stored
        self.ended = time.monotonic()
        self.worker_cpu_s = [w.cpu_seconds() - b for w, b in zip(self.running, self.cpu, strict=True)]
        self.broker_cpu_s = cpu_seconds(self.broker.process.pid) - self.broker_cpu
        self.machine_cpu_s = machine_cpu_seconds() - self.machine_cpu
        return stored


def live(
    workdir: Path,
    url: str,
    p: Platform,
    ids: list[int],
    args: argparse.Namespace,
    *,
    first_ts: int,
    latency_ids: list[int],
) -> tuple[Run, dict[str, Any]]:
    """Publish `--messages` through a new Mosquitto to one worker, until all are stored; then the
    latency run on the same broker, the worker still running."""
    total = args.messages // args.clients * args.clients
    watch = Stopwatch(p, ids, first_ts, total, timeout_s=max(120.0, total / 1_000))
    with server_broker(workdir / "mosquitto-live") as broker:
        key = pubsub_token(p, broker)
        with (
            workers(url, workdir, broker, 1) as running,
            load(broker.port, key, args, first_ts, watch.timeout_s) as publishers,
        ):
            with c.profiled(running[0].proc.pid, args.profile):
                watch.start(running, broker)
                started = publishers.go()
                results: list[dict[str, Any]] = []
                waiter = threading.Thread(target=lambda: results.extend(publishers.results()), daemon=True)
                waiter.start()
                stored = watch.until_stored(results)
                waiter.join(watch.timeout_s)
            latency = latencies(broker, p, args.rate, args.latency_seconds)
            latency["stored"] = wait_stored(p, latency_ids, START_MS, latency["sent"])
    run = Run(
        "live, 1 worker",
        first_ts,
        total,
        seconds=watch.ended - started,
        stored_at_start=0,
        complete=stored == total and bool(results) and all(r["finished"] for r in results),
        worker_cpu_s=watch.worker_cpu_s,
        broker_cpu_s=watch.broker_cpu_s,
        machine_cpu_s=watch.machine_cpu_s,
        published_s=max((r["last_ack"] for r in results), default=watch.ended) - started,
        stored_when_published=watch.stored_when_published or stored,
        publishers_cpu_s=sum(r["cpu_s"] for r in results),
    )
    return run, latency


def catch_up(
    workdir: Path,
    url: str,
    p: Platform,
    ids: list[int],
    args: argparse.Namespace,
    *,
    count: int,
    first_ts: int,
) -> Run:
    """`--messages` published while `count` workers are away, waiting in their sessions; the time
    from their return (ready) until all are stored."""
    total = args.messages // args.clients * args.clients
    watch = Stopwatch(p, ids, first_ts, total, timeout_s=max(120.0, total / 1_000))
    with server_broker(workdir / f"mosquitto-catch-up-{count}") as broker:
        key = pubsub_token(p, broker)
        with workers(url, workdir, broker, count):
            pass  # their sessions (subscriptions) now exist, and outlive them
        with load(broker.port, key, args, first_ts, watch.timeout_s) as publishers:
            publishers.go()
            results = publishers.results()
        with workers(url, workdir, broker, count) as running:
            watch.start(running, broker)
            stored = watch.until_stored()
    name = "catch-up, 1 worker" if count == 1 else f"catch-up, {count} workers (shared)"
    return Run(
        name,
        first_ts,
        total,
        seconds=watch.ended - watch.started,
        stored_at_start=watch.stored_at_start,
        complete=stored == total and all(r["finished"] for r in results),
        worker_cpu_s=watch.worker_cpu_s,
        broker_cpu_s=watch.broker_cpu_s,
        machine_cpu_s=watch.machine_cpu_s,
    )


def wait_stored(p: Platform, ids: list[int], first_ts: int, count: int) -> int:
    """How many of the points are stored once they all are, or DRAIN_S passed."""
    deadline = time.monotonic() + DRAIN_S
    while (stored := stored_count(p, ids, first_ts, count)) < count and time.monotonic() < deadline:
        time.sleep(POLL_S)
    return stored


def latencies(broker: Mosquitto, p: Platform, rate: int, seconds: float) -> dict[str, Any]:
    """Publish `rate` messages a second round the latency streams; when each reached the subscriber
    (a token of its own, on `latency/#`) and when its PUBACK came. Message i carries START_MS + i."""
    publisher_key, subscriber_key = pubsub_token(p, broker), pubsub_token(p, broker)
    sent_at: dict[int, float] = {}  # timestamp -> monotonic at publish
    mids: dict[int, int] = {}  # paho's message id (unique below 65,536 messages) -> timestamp
    received: list[tuple[int, float]] = []
    acked_at: dict[int, float] = {}
    subscribed = threading.Event()
    subscriber = connected(broker.port, subscriber_key, "bench-subscriber")
    subscriber.on_message = lambda c, u, m: received.append(
        (orjson.loads(m.payload)["timestamp"], time.monotonic())
    )
    subscriber.on_subscribe = lambda *args: subscribed.set()
    subscriber.subscribe(f"{LATENCY_PREFIX}/#", qos=1)
    if not subscribed.wait(10):
        sys.exit("the subscription was not acknowledged")
    publisher = connected(broker.port, publisher_key, "bench-latency", in_flight=1000)
    publisher.on_publish = lambda c, u, mid, *rest: acked_at.setdefault(mid, time.monotonic())
    n = int(rate * seconds)
    # The bench's heap is set aside first: a full collection of it held one delivery back ~100 ms.
    gc.collect()
    gc.freeze()
    t0 = time.monotonic()
    for i in range(n):
        wait = t0 + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        ts = START_MS + i
        payload = b'{"timestamp": %d, "value": %d.5}' % (ts, i)
        sent_at[ts] = time.monotonic()
        mids[publisher.publish(f"{LATENCY_PREFIX}/s{i % LATENCY_STREAMS}", payload, qos=1).mid] = ts
    sending_s = time.monotonic() - t0
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


def capacity(workdir: Path, p: Platform, args: argparse.Namespace) -> str:
    """Messages/s the publishers get acknowledged by a Mosquitto with nobody subscribed, and the CPU
    they, Mosquitto and the rest of the machine used meanwhile (of one core)."""
    with server_broker(workdir / "mosquitto-capacity") as broker:
        key = pubsub_token(p, broker)
        with load(broker.port, key, args, START_MS, timeout_s=600) as publishers:
            broker_cpu, machine_cpu = cpu_seconds(broker.process.pid), machine_cpu_seconds()
            started = publishers.go()
            results = publishers.results()
            broker_cpu = cpu_seconds(broker.process.pid) - broker_cpu
            machine_cpu = machine_cpu_seconds() - machine_cpu
    seconds = max(r["last_ack"] for r in results) - started
    load_cpu = sum(r["cpu_s"] for r in results)
    rest = machine_cpu - load_cpu - broker_cpu
    return (
        f"{sum(r['acked'] for r in results) / seconds:,.0f} msg/s (CPU: publishers {load_cpu / seconds:.0%}, "
        f"Mosquitto {broker_cpu / seconds:.0%}, rest {rest / seconds:.0%})"
    )


# ---- the report ---------------------------------------------------------------------------------


def report_run(report: c.Report, run: Run, p: Platform, ids: list[int], per_stream_n: int) -> None:
    """A run's figures, and whether exactly its messages are stored."""
    if run.published_s is not None:
        report.figure(
            f"{run.name}: stored",
            f"{run.messages:,} in {run.seconds:.1f} s (all published after {run.published_s:.1f} s, "
            f"{run.stored_when_published:,} stored by then)",
        )
    else:
        report.figure(
            f"{run.name}: stored",
            f"{run.messages - run.stored_at_start:,} in {run.seconds:.1f} s after the workers were ready "
            f"({run.stored_at_start:,} stored before)",
        )
    cpu = [f"{s / run.seconds:.0%}" for s in run.worker_cpu_s]
    load_cpu = f", publishers {run.publishers_cpu_s / run.seconds:.0%}" if run.publishers_cpu_s else ""
    # The rest is the database, the bench's polling, and whatever else shares the machine.
    rest = run.machine_cpu_s - sum(run.worker_cpu_s) - run.broker_cpu_s - run.publishers_cpu_s
    report.figure(
        f"{run.name}: CPU (of one core)",
        f"worker{'s' if len(cpu) > 1 else ''} {' + '.join(cpu)}, "
        f"Mosquitto {run.broker_cpu_s / run.seconds:.0%}{load_cpu}, rest {rest / run.seconds:.0%}",
    )
    if run.published_s is not None:
        report.target(f"{run.name}: throughput", run.rate, "stored msg/s", at_least=TARGET_PER_S)
    else:
        report.figure(f"{run.name}: throughput", f"{run.rate:,.0f} stored msg/s")
    if not run.complete:
        report.fail(f"{run.name}: not every message was published and stored in time")
    # Client i's messages were stamped first_ts, first_ts + 1, … on stream i: exactly they are
    # stored when the stream holds that many points, the first and last where expected.
    found = per_stream(p, ids, run.first_ts, per_stream_n)
    for sid in ids:
        got = found.get(sid, (0, run.first_ts, run.first_ts - 1))
        if got != (per_stream_n, run.first_ts, run.first_ts + per_stream_n - 1):
            report.fail(
                f"{run.name}, stream {sid}: {per_stream_n:,} published, stored (count, first, last) = {got}"
            )


def report_latency(report: c.Report, latency: dict[str, Any]) -> None:
    """The latency run's percentiles, and whether every message arrived once and was stored."""
    delivered, acked = latency["delivered_ms"], latency["acked_ms"]
    report.figure(
        "latency run (1 worker running)", f"{latency['sent']:,} messages at {latency['rate']:,.0f}/s, QoS 1"
    )
    for name, values in (("publish → subscriber", delivered), ("publish → PUBACK", acked)):
        if values:
            figures = [c.percentile(values, 50), c.percentile(values, 99), max(values)]
            report.figure(f"{name} p50/p99/max", " / ".join(f"{v:.1f}" for v in figures) + " ms")
    if (
        len(delivered) != latency["sent"]
        or len(acked) != latency["sent"]
        or latency["duplicates"]
        or latency["stored"] != latency["sent"]
    ):
        report.fail(
            f"of {latency['sent']:,} messages {len(delivered):,} reached the subscriber "
            f"({latency['duplicates']:,} twice), {len(acked):,} were acknowledged and "
            f"{latency['stored']:,} stored"
        )


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--messages", type=int, default=MESSAGES, help=f"messages of each run (default {MESSAGES:,})"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"workers sharing the load (default {WORKERS}; 1: no such run)",
    )
    parser.add_argument("--clients", type=int, default=CLIENTS, help=f"publishers (default {CLIENTS})")
    parser.add_argument(
        "--in-flight", type=int, default=IN_FLIGHT, help=f"unacknowledged messages per client ({IN_FLIGHT})"
    )
    parser.add_argument(
        "--publishers", type=int, default=PUBLISHERS, help=f"processes the clients run in ({PUBLISHERS})"
    )
    parser.add_argument("--rate", type=int, default=500, help="messages/s of the latency run (default 500)")
    parser.add_argument("--latency-seconds", type=float, default=10, help="length of the latency run (10)")
    parser.add_argument(
        "--profile", type=Path, help="sample the live run's worker with py-spy into this file"
    )
    parser.add_argument("--publish", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish:
        run_publishers(json.loads(args.publish))
        return
    if args.rate * args.latency_seconds >= 65_536:
        sys.exit("the latency run tells its messages apart by paho's 16-bit id: keep rate x seconds < 65,536")
    c.pin(c.CLIENT_CPU)
    per_stream_n = args.messages // args.clients
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        url = c.database_url(args.database_url, workdir)
        report = c.Report(
            f"mqtt_mosquitto: QoS 1 through Mosquitto to storage, {args.clients} clients x "
            f"{args.in_flight} in flight, {per_stream_n * args.clients:,} messages a run",
            url,
        )
        p = c.open_platform(url, workdir)
        try:
            account = c.make_account(p, email=EMAIL)
            ids = c.double_streams(p, account.site_id, args.clients, PREFIX)
            latency_ids = c.double_streams(p, account.site_id, LATENCY_STREAMS, LATENCY_PREFIX)
            report.figure("publishers' ceiling (no worker)", capacity(workdir, p, args))
            one, latency = live(workdir, url, p, ids, args, first_ts=START_MS, latency_ids=latency_ids)
            report_run(report, one, p, ids, per_stream_n)
            counts = [1, args.workers] if args.workers > 1 else [1]
            caught_up = []
            for i, count in enumerate(counts, start=1):
                run = catch_up(workdir, url, p, ids, args, count=count, first_ts=START_MS + i * per_stream_n)
                report_run(report, run, p, ids, per_stream_n)
                caught_up.append(run)
            if len(caught_up) > 1:
                report.figure(
                    f"catch-up, {args.workers} workers / 1", f"{caught_up[-1].rate / caught_up[0].rate:.2f}x"
                )
            report_latency(report, latency)
        finally:
            p.close()
        report.exit()


if __name__ == "__main__":
    main()
