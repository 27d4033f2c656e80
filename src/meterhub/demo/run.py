"""A demo run: the site with its meters and contracts, the days filled through the writer, a report.

A second run continues after the last stored day (nothing to do on the same day), so the demo
never writes a day twice.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Connection

from meterhub.auth import keys
from meterhub.auth.passwords import hash_password
from meterhub.config import Settings
from meterhub.core.buckets import day_of, from_ms
from meterhub.core.costs import Prices
from meterhub.core.errors import Conflict, Invalid, NotFound
from meterhub.demo.household import COUNTERS, ELECTRICITY, TIMEZONE, Gas, Meter, State, day_rows
from meterhub.ingest.write_path import BatchOutcome
from meterhub.platform import Platform
from meterhub.start import holder
from meterhub.store import accounts, meter_statistics, meters, series, tariffs

EMAIL = "demo@localhost"
SITE_NAME = "Demo home"
# DSMR equipment ids are the meter's serial number, hex-encoded ASCII.
OLD_METER = b"E0031003951215".hex()
NEW_METER = b"E0046001734528".hex()
GAS_METER = b"G0059003571421".hex()
OLD_START_WH = (12_345_678, 10_987_654, 3_210_123, 4_321_987)  # import T1, T2, export T1, T2
NEW_START_WH = (4, 11, 0, 0)  # the installer's test load
GAS_START_L = 4_123_456
MAX_IN_FLIGHT = 400_000  # points generated but not yet committed (bounds memory)

CONTRACTS = (
    ("Fixed price, net metering", Prices(import_t1=Decimal("0.2415"), import_t2=Decimal("0.2643"),
     export_t1=Decimal("0.2415"), export_t2=Decimal("0.2643"), gas=Decimal("1.3287"),
     fixed_daily=Decimal("0.7123"))),
    ("Variable price, feed-in tariff", Prices(import_t1=Decimal("0.2289"), import_t2=Decimal("0.2512"),
     export_t1=Decimal("0.089"), export_t2=Decimal("0.089"), gas=Decimal("1.249"),
     fixed_daily=Decimal("0.798"))),
)  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    """What a demo run wrote: points stored, electricity readings made, and how long it took."""

    site_id: int
    points: int
    readings: int
    seconds: float


def parse_interval(text: str) -> int:
    """Seconds of an interval such as 10s, 60s, 1m or 5m; it must divide an hour."""
    found = re.fullmatch(r"\s*(\d+)\s*([sm]?)\s*", text)
    seconds = int(found[1]) * (60 if found[2] == "m" else 1) if found else 0
    if seconds < 1 or 3600 % seconds:
        raise Invalid(f"interval {text!r}: give seconds or minutes that divide an hour, e.g. 10s, 1m or 5m")
    return seconds


def run_demo(
    settings: Settings, *, interval: str = "60s", days: int = 365, console: Console, end: date | None = None
) -> DemoSummary:
    """Create (or continue) the demo site: `days` of data up to the start of `end` (default today)."""
    began = time.perf_counter()
    step_s = parse_interval(interval)
    if days < 1:
        raise Invalid("days: give at least 1")
    platform = Platform(settings)
    try:
        account = _account(platform)
        end = end or day_of(TIMEZONE, accounts.now_ms())
        first = end - timedelta(days=days)
        state = _state(platform, account.site_id, first=first, end=end)
        _contracts(platform, account.site_id, state.origin, end)
        if account.secrets:
            console.print(f"[bold green]Demo site {account.site_id} '{SITE_NAME}'[/] ({TIMEZONE}) created.")
            console.print("Shown once — keep these:\n" + "\n".join(account.secrets), highlight=False)
        if state.day >= end:
            console.print(f"The demo site has its data up to {end} already; nothing to add.")
        elif state.day != first:
            console.print(f"The demo site has data from {state.origin} on; adding the days from {state.day}.")
        points, readings = _fill(platform, account.site_id, state, end, step_s, console)
        meter_lines = _meter_lines(platform, account.site_id)
    finally:
        platform.close()
    summary = DemoSummary(account.site_id, points, readings, time.perf_counter() - began)
    _report(console, settings, summary, account.key, meter_lines)
    return summary


@dataclass(frozen=True)
class _Account:
    site_id: int
    key: str | None  # the API key, when it was made now
    secrets: list[str]  # lines to show once


def _account(platform: Platform) -> _Account:
    """The demo site, created with its user and an API key when missing."""
    shown: list[str] = []
    with platform.db.writer.begin() as conn:
        try:
            user_id = accounts.get_user(conn, email=EMAIL).id
        except NotFound:
            password = secrets.token_urlsafe(12)
            user_id = accounts.add_user(conn, email=EMAIL, password_hash=hash_password(password), name="Demo")
            shown.append(f"  login    {EMAIL} / {password}")
        mine = accounts.memberships(conn, user_id)
        site = next((s for s in accounts.list_sites(conn) if s.id in mine and s.name == SITE_NAME), None)
        if site is not None:
            return _Account(site.id, None, shown)
        site_id = accounts.add_site(conn, name=SITE_NAME, timezone=TIMEZONE, owner_id=user_id)
        _, key = keys.issue_key(conn, user_id=user_id, site_id=site_id, name="demo")
    return _Account(site_id, key, [*shown, f"  API key  {key}"])


def _state(platform: Platform, site_id: int, *, first: date, end: date) -> State:
    """Where generation starts: at `first` on an empty site, else after the last stored day."""
    # Registering meters takes the writer, so it waits until this read has ended.
    with platform.db.reader.connect() as conn:
        found = {m.equipment_id: m.id for m in meters.list_meters(conn, site_id)}
        streams = {eid: meters.meter_streams(conn, mid) for eid, mid in found.items()}
        ours = [eid for eid in (OLD_METER, NEW_METER) if eid in streams]
        anchors = {eid: streams[eid].get("import_t1_kwh", 0) for eid in ours}
        gas_id = streams.get(GAS_METER, {}).get("gas_m3", 0)
        spans = meters.stream_counts(conn, [*anchors.values(), gas_id])  # (n, first ts, last ts)
        stored = [eid for eid, sid in anchors.items() if sid in spans]
        if stored:
            current, last_ts = stored[-1], spans[anchors[stored[-1]]][2]
            counters = [streams[current][role] for role in COUNTERS]
            at_last = series.values_at(conn, counters, [last_ts])
            positions = [at_last[(sid, last_ts)] for sid in counters]
        if stored and gas_id in spans:
            gas_ts = spans[gas_id][2]
            litres = series.values_at(conn, [gas_id], [gas_ts])[(gas_id, gas_ts)]
    if not stored:
        old, replace_on = _meter(platform, site_id, OLD_METER, OLD_START_WH), _replacement(first, end)
        successor = _meter(platform, site_id, NEW_METER, NEW_START_WH) if replace_on else None
        return State(first, first, old, _gas(platform, site_id), replace_on, successor)
    origin = day_of(TIMEZONE, spans[anchors[stored[0]]][1])
    day = day_of(TIMEZONE, last_ts)  # a day's last reading is on the next day's midnight
    meter = _meter(platform, site_id, current, positions, fresh=False)
    gas = _gas(platform, site_id)
    if gas_id in spans:
        gas.litres, gas.fresh = litres, False
    # A swap planned by a run that stopped before it (the new meter is registered, without readings).
    replace_on = _replacement(origin, end) if NEW_METER in streams and NEW_METER not in stored else None
    if replace_on is None or replace_on < day:
        return State(origin, day, meter, gas, None, None)
    return State(origin, day, meter, gas, replace_on, _meter(platform, site_id, NEW_METER, NEW_START_WH))


def _replacement(origin: date, end: date) -> date | None:
    span = (end - origin).days
    return origin + timedelta(days=span // 2) if span >= 2 else None


def _meter(
    platform: Platform, site_id: int, equipment_id: str, positions_wh: Sequence[int], *, fresh: bool = True
) -> Meter:
    found = platform.registry.streams(
        site_id=site_id, meter_type="electricity", equipment_id=equipment_id, protocol="dsmr5",
        roles=ELECTRICITY,
    )  # fmt: skip
    streams = tuple(found.streams[role] for role in ELECTRICITY)
    return Meter(equipment_id, streams, [v * 3600 for v in positions_wh], fresh)


def _gas(platform: Platform, site_id: int) -> Gas:
    found = platform.registry.streams(
        site_id=site_id, meter_type="gas", equipment_id=GAS_METER, protocol="dsmr4", roles=("gas_m3",)
    )
    return Gas(found.streams["gas_m3"], GAS_START_L, True)


def _contracts(platform: Platform, site_id: int, origin: date, end: date) -> None:
    """Two contracts, the second from the first of the month halfway (unless the site has some)."""
    middle = origin + timedelta(days=(end - origin).days // 2)
    change = max(middle.replace(day=1), origin + timedelta(days=1))
    spans = ((origin, change - timedelta(days=1)), (change, change + timedelta(days=3 * 365)))
    with platform.db.writer.begin() as conn:
        if tariffs.contracts(conn, site_id=site_id):
            return
        for (description, prices), (start, last) in zip(CONTRACTS, spans, strict=True):
            tariffs.add(conn, site_id=site_id, start=start, end=last, description=description, prices=prices)


def _fill(
    platform: Platform, site_id: int, state: State, end: date, step_s: int, console: Console
) -> tuple[int, int]:
    """Generate and write the days from state.day to end; (points stored, electricity readings)."""
    total = max(0, (end - state.day).days)
    pending: deque[tuple[Future[BatchOutcome], int]] = deque()
    in_flight = stored = readings = 0

    def settle() -> None:
        nonlocal in_flight, stored
        future, size = pending.popleft()
        outcome = future.result()
        if outcome.clashes:
            raise Conflict(f"the demo site holds other data than the demo would write ({outcome.clashes[0]})")
        stored += outcome.stored
        in_flight -= size
        progress.advance(task)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("demo days", total=total)
        for i in range(total):
            progress.update(task, description=f"demo days, making {state.day}")
            rows, made = day_rows(state, step_s)
            readings += made
            state.day += timedelta(days=1)
            extra = partial(_statistics, site_id=site_id, ts_ms=rows[-1][1]) if i == total - 1 else None
            pending.append((platform.writer.submit(rows, extra), len(rows)))
            in_flight += len(rows)
            while in_flight > MAX_IN_FLIGHT:
                settle()
        while pending:
            settle()
    return stored, readings


def _statistics(conn: Connection, *, site_id: int, ts_ms: int) -> None:
    """The meter's own counters, as a DSMR 5 telegram would carry them."""
    values = {"dsmr_version": "50", "electricity_tariff": 1, "power_failure_count": 4,
              "long_power_failure_count": 1}  # fmt: skip
    meter_statistics.record(conn, site_id=site_id, ts_ms=ts_ms, values=values, telegram=None)


def _meter_lines(platform: Platform, site_id: int) -> list[str]:
    """Each meter of the site with the span of its readings."""
    lines = []
    with platform.db.reader.connect() as conn:
        for m in meters.list_meters(conn, site_id):
            streams = meters.meter_streams(conn, m.id)
            anchor = streams.get("gas_m3" if m.meter_type == "gas" else "import_t1_kwh")
            span = meters.stream_counts(conn, [anchor] if anchor else []).get(anchor or 0)
            when = " – ".join(f"{from_ms(ts, TIMEZONE):%Y-%m-%d %H:%M}" for ts in span[1:]) if span else ""
            lines.append(f"  {m.meter_type:<12} {m.equipment_id}  {m.protocol:<6} {when or 'no readings'}")
    return lines


def _report(
    console: Console, settings: Settings, summary: DemoSummary, key: str | None, meter_lines: list[str]
) -> None:
    db = settings.database_url
    where = f"--database-url {db}" if db else f"--data-dir {settings.data_dir}"
    # The embedded default has one server at most, which says where it serves (PostgreSQL's may be many).
    running = None if db else holder(settings.data_dir)
    base = running.url if running and running.url else settings.local_url
    console.print(
        f"\n[bold]Demo site {summary.site_id}:[/] {summary.points:,} points stored "
        f"({summary.readings:,} electricity readings) in {summary.seconds:.1f} s. Its meters:",
        highlight=False,
    )
    console.print("\n".join(meter_lines), highlight=False, soft_wrap=True)
    if running:
        console.print(f"{running.who} is serving it; look:", highlight=False)
    else:
        console.print(f"Serve it with `meterhub serve {where}`, then look:", highlight=False, soft_wrap=True)
    for path in (
        "/api/v2/statistics/day?ordering=-day&limit=7",
        "/api/v2/statistics/hour?ordering=-hour_start&limit=24",
        "/api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1",
        "/api/v2/consumption/energy-supplier-prices",
    ):
        curl = f"  curl '{base}{path}' -H 'X-AUTHKEY: {key or 'YOUR-API-KEY'}'"
        console.print(curl, highlight=False, soft_wrap=True)
    if key is None:
        console.print("  (its key was shown when the demo site was made; `meterhub key create` makes one)")
