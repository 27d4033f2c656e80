"""What the benchmarks share: the database, an account, the server process, telegrams and the report.

The server under test always runs in its own process (`meterhub serve`, one process, one worker)
pinned to the first CPU; the load comes from the bench process (or wrk) pinned to the second, so
the figures say what one core of server does and the client never steals its time.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from meterhub.auth import keys
from meterhub.auth.passwords import hash_password
from meterhub.config import Settings
from meterhub.core.datatypes import Datatype
from meterhub.core.errors import NotFound
from meterhub.ingest.crc import crc16_arc
from meterhub.platform import Platform
from meterhub.store import accounts, datasets
from meterhub.store.db import Database
from meterhub.store.tables import metadata

BENCH = Path(__file__).resolve().parent
FIXTURES = BENCH.parent / "tests" / "fixtures"
POSTGRES_EXAMPLE = "postgresql://postgres@127.0.0.1:5432/meterhub_bench"
TIMEZONE = "Europe/Amsterdam"
SERVER_CPU, CLIENT_CPU = 0, 1
# METERHUB_BENCH_SERVER_CPUS=all lets the server process use every core (its writer thread runs
# SQLite outside Python's lock); by default it is held to one, the stricter measure.
SERVER_ON_ALL_CPUS = os.environ.get("METERHUB_BENCH_SERVER_CPUS") == "all"
# py-spy's sampling: by default CPU time holding the GIL; METERHUB_BENCH_PYSPY=--idle samples wall
# time in every thread instead (where a request waits on the database, for example).
PYSPY_MODE = os.environ.get("METERHUB_BENCH_PYSPY", "--gil").split()


# ---- command line, CPUs and the report ---------------------------------------------------------


def arguments(description: str) -> argparse.ArgumentParser:
    """A parser with the --database-url every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--database-url",
        default="",
        help=f"PostgreSQL to run on (e.g. {POSTGRES_EXAMPLE}; created, emptied); default: a new SQLite file",
    )
    return parser


def pin(cpu: int) -> None:
    """Keep the calling process on one CPU, when the machine has it."""
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


class Report:
    """Figures and targets, printed as they come; exit() fails when a target was missed."""

    def __init__(self, title: str, database_url: str) -> None:
        self.missed: list[str] = []
        kind = make_url(database_url).get_backend_name()
        print(f"\n== {title} — {'PostgreSQL' if kind == 'postgresql' else 'SQLite'} ==", flush=True)

    def figure(self, name: str, value: str) -> None:
        """A figure without a target."""
        print(f"  {name:<34} {value}", flush=True)

    def target(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        decimals: int = 0,
    ) -> None:
        """A figure and its target, marked met or MISSED."""
        ok = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
        bound = f"≥ {at_least:,.{decimals}f}" if at_least is not None else f"≤ {at_most:,.{decimals}f}"
        verdict = "met" if ok else "MISSED"
        print(f"  {name:<34} {value:,.{decimals}f} {unit}   (target {bound} {unit}: {verdict})", flush=True)
        if not ok:
            self.missed.append(name)

    def fail(self, reason: str) -> None:
        """A check that failed outright (wrong data, refused requests)."""
        print(f"  FAILED: {reason}", flush=True)
        self.missed.append("a check")

    def exit(self) -> None:
        """Exit non-zero when any target was missed."""
        if self.missed:
            print(f"  targets missed: {', '.join(self.missed)}", flush=True)
        sys.exit(1 if self.missed else 0)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# ---- the database --------------------------------------------------------------------------------


def database_url(given: str, workdir: Path, *, keep: bool = False) -> str:
    """A migrated database to run on: a new SQLite file in workdir, or the given PostgreSQL one.

    PostgreSQL's database is created when missing and emptied unless `keep` (data cached between
    runs); only that database is touched.
    """
    if not given:
        return f"sqlite:///{workdir / 'meterhub.sqlite3'}"
    url = make_url(given)
    if url.get_backend_name() == "postgresql":
        _create_postgres_database(given)
    db = Database(given)
    try:
        db.migrate()
        if not keep and db.dialect == "postgresql":
            with db.writer.begin() as conn:
                names = ", ".join(t.name for t in metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        db.dispose()
    return given


def _create_postgres_database(url: str) -> None:
    import psycopg

    parsed = make_url(url)
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
            is None
        ):
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def open_platform(url: str, data_dir: Path) -> Platform:
    """The platform the server would build on this database."""
    return Platform(Settings(data_dir=data_dir, database_url=url))


@dataclass(frozen=True)
class Account:
    user_id: int
    site_id: int
    key: str


def make_account(p: Platform, *, email: str, timezone: str = TIMEZONE) -> Account:
    """A user with a site and an API key bound to it."""
    with p.db.writer.begin() as conn:
        user_id = accounts.add_user(conn, email=email, password_hash=hash_password("bench only"))
        site_id = accounts.add_site(conn, name=f"bench {email}", timezone=timezone, owner_id=user_id)
        _, key = keys.issue_key(conn, user_id=user_id, site_id=site_id, name="bench")
    return Account(user_id, site_id, key)


def new_key(p: Platform, *, email: str) -> Account | None:
    """A fresh API key for the first site of an existing user (keys are stored hashed, never kept)."""
    with p.db.writer.begin() as conn:
        try:
            user = accounts.get_user(conn, email=email)
        except NotFound:  # the database holds no bench data yet
            return None
        site_ids = sorted(accounts.memberships(conn, user.id))
        if not site_ids:
            return None
        _, key = keys.issue_key(conn, user_id=user.id, site_id=site_ids[0], name="bench")
    return Account(user.id, site_ids[0], key)


# ---- the server process ----------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A process serving HTTP on a loopback port, pinned to the server CPU."""

    def __init__(self, command: Sequence[str], port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        # Its embedded MQTT broker on a free port too, whatever else runs on this machine.
        self.mqtt_port = free_port()
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=None if SERVER_ON_ALL_CPUS else lambda: pin(SERVER_CPU),
            env={**os.environ, "METERHUB_MQTT_PORT": str(self.mqtt_port)},
        )
        self._wait_ready(log)

    def _wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(self.url + "/", timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within 60 s:\n{log.read_text()}")

    def memory_kb(self) -> dict[str, int]:
        """VmHWM (peak) and VmRSS (now) of the server process, in kB."""
        found = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                found[name] = int(value.split()[0])
        return found

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user, system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def stop(self) -> None:
        """Stop the process (gracefully first: the writer finishes its queue)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextmanager
def meterhub_server(url: str, data_dir: Path) -> Iterator[Server]:
    """`meterhub serve` on the database (whose accounts exist already, so nothing is printed)."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("meterhub")),
        "serve",
        "--database-url",
        url,
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        # Most of RESULTS.md's figures were measured without one; METERHUB_BENCH_ACCESS_LOG=1 keeps it,
        # to measure what a line per request costs.
        *([] if os.environ.get("METERHUB_BENCH_ACCESS_LOG") == "1" else ["--no-access-log"]),
    ]
    server = Server(command, port, data_dir / "server.log")
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def null_server(workdir: Path) -> Iterator[Server]:
    """uvicorn serving `null_app`: what the load generator can do when the server costs nothing."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH),
        "_common:null_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = Server(command, port, workdir / "null-server.log")
    try:
        yield server
    finally:
        server.stop()


async def null_app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """An ASGI app that reads the body and answers 201 (or 200 to GET), doing nothing else."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    status = 201 if scope["method"] == "POST" else 200
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


@contextmanager
def profiled(pid: int, out: Path | None, *, report_top: int = 18) -> Iterator[None]:
    """Sample the process with py-spy (CPU time holding the GIL) while the block runs, if out is given.

    Afterwards print the hottest functions: `self` is time in the function itself, `total` time
    with it on the stack.
    """
    if out is None:
        yield
        return
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
    # Native stacks can only be read from a paused process; Python ones are sampled without pausing.
    pause = [] if "--native" in PYSPY_MODE else ["--nonblocking"]
    log = out.with_suffix(".log").open("wb")
    proc = subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            str(out),
            "--rate",
            "200",
            *PYSPY_MODE,
            *pause,
            "--function",
        ],
        stdout=log,
        stderr=log,
        preexec_fn=lambda: pin(CLIENT_CPU),
    )
    time.sleep(1)  # let py-spy attach before the load starts
    try:
        yield
    finally:
        proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
        proc.wait(60)
        log.close()
    if out.exists():
        print_hot_spots(out, report_top)
    else:
        print(f"  py-spy wrote no profile: see {out.with_suffix('.log')}")


def print_hot_spots(raw: Path, top: int) -> None:
    """The functions with most samples in a py-spy raw (collapsed stacks) file."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_short(f) for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + n
    if not samples:
        print(f"  (no samples in {raw})")
        return
    kind = "samples holding the GIL" if "--gil" in PYSPY_MODE else "samples"
    print(f"  hot spots ({samples:,} {kind}; raw stacks in {raw}):")
    print(f"    {'self':>6} {'total':>6}  function")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {n / samples:6.1%} {total[frame] / samples:6.1%}  {frame}")
    print("    — by total, meterhub's own functions:")
    ours = [(f, n) for f, n in total.items() if "meterhub" in f or "faces/" in f or "ingest/" in f]
    for frame, n in sorted(ours, key=lambda kv: -kv[1])[:top]:
        print(f"    {own.get(frame, 0) / samples:6.1%} {n / samples:6.1%}  {frame}")


def _short(frame: str) -> str:
    # "name (path/to/module.py:12)" -> "name (module.py:12)" keeping the package part of the path
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "src/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


def timed_gets(
    client: httpx.Client, path: str, n: int, check: Callable[[httpx.Response], None]
) -> list[float]:
    """Latencies in ms of n sequential GETs on one keep-alive connection, each response checked."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        check(response)
    return out


# ---- DSMR 5 telegrams ---------------------------------------------------------------------------

TELEGRAM_FILE = FIXTURES / "telegrams" / "dsmrreader_netbeheer_example_dsmr50.txt"
# The values that change from one reading to the next, each one capture group of the template.
_VARYING = re.compile(
    r"0-0:1\.0\.0\((?P<ts>\d{12}[SW])\)"
    r"|1-0:1\.8\.1\((?P<import_t1>[\d.]+)\*"
    r"|1-0:1\.8\.2\((?P<import_t2>[\d.]+)\*"
    r"|1-0:2\.8\.1\((?P<export_t1>[\d.]+)\*"
    r"|1-0:2\.8\.2\((?P<export_t2>[\d.]+)\*"
    r"|1-0:1\.7\.0\((?P<import_kw>[\d.]+)\*"
    r"|0-1:24\.2\.1\((?P<gas_ts>\d{12}[SW])\)\((?P<gas>[\d.]+)\*"
)
# Starting positions (Wh, dm3) and how much each reading adds; gas steps once per 5 minutes.
BASE = {"import_t1": 123_456_789, "import_t2": 123_456_789, "export_t1": 23_456_789, "export_t2": 3_456_789}
STEP_WH = {"import_t1": 1, "import_t2": 2, "export_t1": 1, "export_t2": 0}
GAS_BASE_DM3, GAS_STEP_DM3, GAS_EVERY_S, GAS_EPOCH = 12_785_123, 3, 300, 1_735_689_600


def telegram_template() -> list[str]:
    """The example DSMR 5 telegram from `/` to `!`: static text and field names, alternating.

    Even indexes hold text, odd ones the name of the value that goes there.
    """
    raw = TELEGRAM_FILE.read_bytes().decode("latin-1")
    body = raw[raw.index("/") : raw.index("!") + 1]
    parts, at = [], 0
    for match in _VARYING.finditer(body):
        for name, value in match.groupdict().items():
            if value is not None:
                start, end = match.span(name)
                parts += [body[at:start], name]
                at = end
    parts.append(body[at:])
    return parts


def meter_time(epoch_s: int) -> str:
    """`YYMMDDhhmmssW` (or S in summer): the meter's local time as DSMR writes it."""
    local = datetime.fromtimestamp(epoch_s, ZoneInfo(TIMEZONE))
    return local.strftime("%y%m%d%H%M%S") + ("S" if local.dst() else "W")


def _fixed3(value: int, width: int) -> str:
    return f"{value // 1000:0{width}d}.{value % 1000:03d}"


def reading_values(n: int, epoch_s: int, *, extra_wh: int = 0) -> dict[str, str]:
    """The varying values of reading number n, taken at epoch_s (the model wrk's script repeats)."""
    gas_s = epoch_s - epoch_s % GAS_EVERY_S
    values = {name: _fixed3(BASE[name] + n * STEP_WH[name] + extra_wh, 6) for name in BASE}
    values.update(
        ts=meter_time(epoch_s),
        import_kw=_fixed3(n * 37 % 5000, 2),
        gas_ts=meter_time(gas_s),
        gas=_fixed3(GAS_BASE_DM3 + (gas_s - GAS_EPOCH) // GAS_EVERY_S * GAS_STEP_DM3, 5),
    )
    return values


def render(template: Sequence[str], values: dict[str, str]) -> str:
    """The telegram with these values and its CRC16/ARC, ending in CR LF."""
    content = "".join(part if i % 2 == 0 else values[part] for i, part in enumerate(template))
    return f"{content}{crc16_arc(content.encode('latin-1')):04X}\r\n"


def form_encode(part: str) -> str:
    """A piece of a telegram as it appears in the form-encoded body."""
    return quote(part, safe="", encoding="latin-1")


def double_streams(p: Platform, site_id: int, count: int, prefix: str = "bench") -> list[int]:
    """A dataset with `count` double datastreams s0, s1, …; their ids."""
    with p.db.writer.begin() as conn:
        dataset = datasets.add_dataset(conn, site_id=site_id, topic_prefix=prefix)
        return [
            datasets.add_stream(
                conn, dataset_id=dataset.id, topic_suffix=f"s{i}", datatype=Datatype.DOUBLE
            ).id
            for i in range(count)
        ]


def token(p: Platform, email: str, *scopes: str) -> str:
    """A new API token of the user, not bound to a site."""
    with p.db.writer.begin() as conn:
        user = accounts.get_user(conn, email=email)
        return keys.issue_key(conn, user_id=user.id, site_id=None, scopes=scopes)[1]


class PeakRss:
    """How far a server's RSS rises above its level at the start, sampled in a thread."""

    def __init__(self, server: Server, every_s: float = 0.05) -> None:
        self._server = server
        self._every_s = every_s
        self.before = server.memory_kb()["VmRSS"]
        self.peak = self.before
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / 1024

    def _watch(self) -> None:
        while not self._done.wait(self._every_s):
            self.peak = max(self.peak, self._server.memory_kb()["VmRSS"])
