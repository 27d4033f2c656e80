"""`meterhub demo`: a site holding a realistic year of a Dutch household's meter data.

Everything goes in through the one write path, as point rows of the streams the registry hands
out for each meter, so points are stored once and aggregates kept exactly as for real telegrams.
Generation runs per local day on integers in each role's stored units (Wh, W, dV, A, litres):
only the day's hours are looked up on the calendar, never a point's, and no Decimal is made per
point, so making a year at one reading a minute (~9.5 million points) takes ~3 s of the ~35 s the
write path needs to store it.
Random draws are seeded per day, so a day's data depends only on the day and on the meter
positions it starts from. A second run continues after the last stored day (nothing to do on
the same day), so the demo never writes a day twice.
"""

from __future__ import annotations

import random
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
from itertools import pairwise, repeat
from math import acos, cos, pi, radians, sin

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Connection

from meterhub.auth import keys
from meterhub.auth.passwords import hash_password
from meterhub.config import Settings
from meterhub.core.buckets import HOUR_MS, day_of, day_start_ms, from_ms
from meterhub.core.costs import Prices
from meterhub.core.errors import Conflict, Invalid, NotFound
from meterhub.ingest.write_path import BatchOutcome, PointRow
from meterhub.platform import Platform
from meterhub.store import accounts, meter_statistics, meters, series, tariffs

TIMEZONE = "Europe/Amsterdam"
EMAIL = "demo@localhost"
SITE_NAME = "Demo home"
# DSMR equipment ids are the meter's serial number, hex-encoded ASCII.
OLD_METER = b"E0031003951215".hex()
NEW_METER = b"E0046001734528".hex()
GAS_METER = b"G0059003571421".hex()
OLD_START_WH = (12_345_678, 10_987_654, 3_210_123, 4_321_987)  # import T1, T2, export T1, T2
NEW_START_WH = (4, 11, 0, 0)  # the installer's test load
GAS_START_L = 4_123_456

COUNTERS = ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh")
GAUGES = (
    "import_kw", "export_kw",
    "import_l1_kw", "import_l2_kw", "import_l3_kw", "export_l1_kw", "export_l2_kw", "export_l3_kw",
    "voltage_l1_v", "voltage_l2_v", "voltage_l3_v", "current_l1_a", "current_l2_a", "current_l3_a",
)  # fmt: skip
ELECTRICITY = COUNTERS + GAUGES

# Household background load in W by local clock hour (lighting comes on top in the dark months).
WEEKDAY_W = (210, 180, 160, 150, 150, 160, 260, 500, 450, 300, 260, 260,
             320, 280, 260, 290, 370, 560, 780, 720, 620, 580, 450, 300)  # fmt: skip
WEEKEND_W = (240, 190, 170, 160, 150, 150, 180, 240, 380, 500, 480, 450,
             480, 420, 380, 400, 450, 610, 800, 740, 660, 610, 500, 340)  # fmt: skip
LIGHTING_W = 220
LIT_HOURS = frozenset((6, 7, 8, 16, 17, 18, 19, 20, 21, 22))
PHASE_SHARE = (0.45, 0.30, 0.25)
LATITUDE, LONGITUDE, TILT = 52.37, 4.90, 35.0  # Amsterdam; south-facing panels
PV_PEAK_W = 4000  # 12 panels of 400 Wp, less inverter and wiring losses
REPLACEMENT_GAP_S = 40 * 60  # the grid operator's engineer swaps the meter; the house has no power
OMEGA = 2 * pi / 86_400  # the sun's hour angle per second
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


@dataclass
class _Meter:
    equipment_id: str
    streams: tuple[int, ...]  # in ELECTRICITY order
    joules: list[int]  # the four counters in J (Wh x 3600), so no step is lost to rounding
    fresh: bool  # nothing stored yet: its first reading only states the start positions


@dataclass
class _Gas:
    stream: int
    litres: int
    fresh: bool


@dataclass
class _State:
    origin: date  # the demo's first day
    day: date  # the next day to generate
    meter: _Meter
    gas: _Gas
    replace_on: date | None  # when the old electricity meter is swapped, if still ahead
    successor: _Meter | None  # the new meter, registered when the swap is planned


Run = tuple[tuple[int, int], ...]  # an appliance's program: (seconds, W) parts


@dataclass(frozen=True)
class _Day:
    date: date
    start_ms: int
    hours: int  # 23, 24 or 25
    clock: tuple[int, ...]  # local clock hour during each hour of the day
    rnd: random.Random


@dataclass(frozen=True)
class _House:
    """A day of the household as the meter sees it: per reading k (the interval ending at it), per hour."""

    day: _Day
    step_s: int
    loads: tuple[list[int], list[int], list[int]]  # W per phase, by k
    pv: list[int]  # W, by k
    grid_dv: list[int]  # the street's voltage, by hour
    low: list[bool]  # tariff 1, by hour


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


def _state(platform: Platform, site_id: int, *, first: date, end: date) -> _State:
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
        return _State(first, first, old, _gas(platform, site_id), replace_on, successor)
    origin = day_of(TIMEZONE, spans[anchors[stored[0]]][1])
    day = day_of(TIMEZONE, last_ts)  # a day's last reading is on the next day's midnight
    meter = _meter(platform, site_id, current, positions, fresh=False)
    gas = _gas(platform, site_id)
    if gas_id in spans:
        gas.litres, gas.fresh = litres, False
    # A swap planned by a run that stopped before it (the new meter is registered, without readings).
    replace_on = _replacement(origin, end) if NEW_METER in streams and NEW_METER not in stored else None
    if replace_on is None or replace_on < day:
        return _State(origin, day, meter, gas, None, None)
    return _State(origin, day, meter, gas, replace_on, _meter(platform, site_id, NEW_METER, NEW_START_WH))


def _replacement(origin: date, end: date) -> date | None:
    span = (end - origin).days
    return origin + timedelta(days=span // 2) if span >= 2 else None


def _meter(
    platform: Platform, site_id: int, equipment_id: str, positions_wh: Sequence[int], *, fresh: bool = True
) -> _Meter:
    found = platform.registry.streams(
        site_id=site_id, meter_type="electricity", equipment_id=equipment_id, protocol="dsmr5",
        roles=ELECTRICITY,
    )  # fmt: skip
    streams = tuple(found.streams[role] for role in ELECTRICITY)
    return _Meter(equipment_id, streams, [v * 3600 for v in positions_wh], fresh)


def _gas(platform: Platform, site_id: int) -> _Gas:
    found = platform.registry.streams(
        site_id=site_id, meter_type="gas", equipment_id=GAS_METER, protocol="dsmr4", roles=("gas_m3",)
    )
    return _Gas(found.streams["gas_m3"], GAS_START_L, True)


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
    platform: Platform, site_id: int, state: _State, end: date, step_s: int, console: Console
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
            rows, made = _day_rows(state, step_s)
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


def _day_rows(state: _State, step_s: int) -> tuple[list[PointRow], int]:
    """The next day's electricity readings every step_s and hourly gas readings; and how many readings."""
    day = state.day
    d = _day(day)
    n = d.hours * 3600 // step_s
    sunshine, temperature = _weather(day)
    # The street's voltage in dV: high at night, low at dinner time, up when the neighbours' panels feed in.
    grid = [2310 + int(25 * cos(2 * pi * (c - 4) / 24) + (40 * sunshine if 10 <= c < 16 else 0))
            for c in d.clock]  # fmt: skip
    low = [d.date.weekday() >= 5 or not 7 <= c < 23 for c in d.clock]  # tariff 1: nights and weekends
    house = _House(d, step_s, _loads(d, n, step_s), _solar(d, n, step_s, sunshine), grid, low)
    rows: list[PointRow] = []
    meter = state.meter
    first = 0 if meter.fresh else 1
    if day == state.replace_on and state.successor:
        off = _at(d, 10) // step_s
        made = _readings(meter, range(first, off + 1), house, rows)
        state.meter = meter = state.successor
        made += _readings(meter, range(off + REPLACEMENT_GAP_S // step_s, n + 1), house, rows)
        state.replace_on = state.successor = None
    else:
        made = _readings(meter, range(first, n + 1), house, rows)
    _gas_readings(state.gas, d, temperature, rows)
    return rows, made


def _day(day: date) -> _Day:
    start = day_start_ms(TIMEZONE, day)
    hours = (day_start_ms(TIMEZONE, day + timedelta(days=1)) - start) // HOUR_MS
    clock = tuple(from_ms(start + h * HOUR_MS, TIMEZONE).hour for h in range(hours))
    return _Day(day, start, hours, clock, random.Random(f"meterhub-demo:{day.isoformat()}"))


def _at(d: _Day, hour: int, minute: int = 0) -> int:
    """Seconds into the day when the local clock first shows hour:minute (later if DST skips it)."""
    h = next((i for i, c in enumerate(d.clock) if c >= hour), d.hours - 1)
    return h * 3600 + minute * 60


def _weather(day: date) -> tuple[float, float]:
    """Sunshine (0 overcast … 1 clear) and mean outdoor temperature in °C; spells last a few days."""

    def spell(name: str) -> float:
        recent = (day - timedelta(days=i) for i in range(3))
        draws = (random.Random(f"meterhub-demo:{name}:{past.isoformat()}").random() for past in recent)
        return sum(w * x for w, x in zip((0.5, 0.3, 0.2), draws, strict=True))

    doy = day.timetuple().tm_yday
    summer = cos(2 * pi * (doy - 172) / 365.25)  # 1 at midsummer, -1 at midwinter
    warmth = cos(2 * pi * (doy - 200) / 365.25)  # the warmest weeks come a month later
    sunshine = min(1.0, max(0.0, spell("sun") + 0.25 * summer - 0.05))
    return sunshine, 10.5 + 7.0 * warmth + 8.0 * (spell("temperature") - 0.5)


def _loads(d: _Day, n: int, step_s: int) -> tuple[list[int], list[int], list[int]]:
    """Household load in W on each phase, for the interval ending at reading k = 0..n."""
    profile = WEEKEND_W if d.date.weekday() >= 5 else WEEKDAY_W
    dark = (1 + cos(2 * pi * (d.date.timetuple().tm_yday - 355) / 365.25)) / 2
    hourly = [profile[c] + (LIGHTING_W * dark if c in LIT_HOURS else 0) for c in d.clock]
    # The hourly means joined by straight lines, so the load has no steps on the hour.
    edges = [hourly[0], *((a + b) / 2 for a, b in pairwise(hourly)), hourly[-1]]
    rand = d.rnd.random
    (lo1, hi1), (lo2, hi2), (lo3, hi3) = ((share * 0.75, share * 0.5) for share in PHASE_SHARE)  # ±25 % noise
    l1, l2, l3 = phases = tuple([int(edges[0] * share)] for share in PHASE_SHARE)
    for h in range(d.hours):
        start, slope = edges[h], (edges[h + 1] - edges[h]) / 3600
        for t in range(step_s - 1, 3600, step_s):
            base = start + slope * t
            l1.append(int(base * (lo1 + hi1 * rand())))
            l2.append(int(base * (lo2 + hi2 * rand())))
            l3.append(int(base * (lo3 + hi3 * rand())))
    for phase, start_s, parts in _appliances(d):
        _switch_on(phases[phase], start_s, parts, step_s, d.hours * 3600)
    return phases


def _appliances(d: _Day) -> list[tuple[int, int, Run]]:
    """The day's appliance runs: (phase, start second, ((seconds, W), …))."""
    rnd, weekend = d.rnd, d.date.weekday() >= 5
    dark = (1 + cos(2 * pi * (d.date.timetuple().tm_yday - 355) / 365.25)) / 2

    def at(hour: int, spread_min: int) -> int:
        return _at(d, hour) + rnd.randrange(spread_min) * 60

    kettle = ((180, 2000),)
    runs = [(1, at(8 if weekend else 7, 60), kettle)]
    if rnd.random() < 0.5:
        runs.append((1, at(15, 120), kettle))
    if rnd.random() < 0.6:
        runs.append((1, at(20, 90), kettle))
    if rnd.random() < 0.9:  # induction hob, then simmering
        runs.append((0, at(17, 75), ((1200, 2200), (1500, 900))))
    if rnd.random() < (0.6 if weekend else 0.35):  # washing machine: heating, washing, spinning
        wash = at(9, 600)
        runs.append((2, wash, ((1080, 2100), (3600, 180), (600, 500))))
        if rnd.random() < dark:  # tumble dryer
            runs.append((2, wash + 5400, ((3600, 2200),)))
    if rnd.random() < 0.55:  # dishwasher
        runs.append((2, at(21, 150), ((1200, 1900), (3000, 120), (900, 1900))))
    if weekend and rnd.random() < 0.5:  # vacuum cleaner
        runs.append((0, at(10, 120), ((1200, 1200),)))
    runs += [(1, start, ((600, 85),)) for start in range(rnd.randrange(1800), d.hours * 3600, 1800)]  # fridge
    return runs


def _switch_on(load: list[int], start_s: int, parts: Run, step_s: int, day_s: int) -> None:
    """Add an appliance's power to the intervals it runs in, in proportion to the overlap."""
    for seconds, watts in parts:
        stop = min(start_s + seconds, day_s)
        for k in range(start_s // step_s + 1, -(-stop // step_s) + 1):
            overlap = min(stop, k * step_s) - max(start_s, (k - 1) * step_s)
            if overlap > 0:
                load[k] += watts * overlap // step_s
        start_s += seconds


def _solar(d: _Day, n: int, step_s: int, sunshine: float) -> list[int]:
    """PV output in W for the interval ending at reading k: clear-sky sun on tilted panels x clouds."""
    doy = d.date.timetuple().tm_yday
    decl = radians(23.44) * sin(2 * pi * (284 + doy) / 365)
    lat, panel = radians(LATITUDE), radians(LATITUDE - TILT)
    sun_a, sun_b = sin(lat) * sin(decl), cos(lat) * cos(decl)  # sin(elevation) = a + b cos(hour angle)
    pan_a, pan_b = sin(panel) * sin(decl), cos(panel) * cos(decl)  # cos(incidence) on the panels
    b = 2 * pi * (doy - 81) / 364
    equation_of_time_s = 60 * (9.87 * sin(2 * b) - 7.53 * cos(b) - 1.5 * sin(b))
    utc_midnight_ms = (d.date.toordinal() - date(1970, 1, 1).toordinal()) * 86_400_000
    noon = (utc_midnight_ms - d.start_ms) / 1000 + 43_200 - LONGITUDE * 240 - equation_of_time_s
    half_day = acos(max(-1.0, min(1.0, -sun_a / sun_b))) / OMEGA
    clouds = _clouds(d, sunshine)
    out = [0] * (n + 1)
    sunrise, sunset = max(1, int((noon - half_day) // step_s)), min(n, int((noon + half_day) // step_s) + 1)
    for k in range(sunrise, sunset + 1):
        t = k * step_s - step_s / 2
        c = cos((t - noon) * OMEGA)
        elevation, incidence = sun_a + sun_b * c, pan_a + pan_b * c
        if elevation > 0 and incidence > 0:
            out[k] = int(PV_PEAK_W * incidence * elevation**0.3 * clouds[int(t) // 600])
    return out


def _clouds(d: _Day, sunshine: float) -> list[float]:
    """Share of clear-sky sun reaching the panels per 10 minutes; half-sunny days change most."""
    rand = d.rnd.random
    swing = 0.1 + 0.6 * (1 - abs(2 * sunshine - 1))
    x, out = sunshine, []
    for _ in range(d.hours * 6 + 1):
        x = min(1.0, max(0.0, 0.6 * x + 0.4 * sunshine + swing * (rand() - 0.5)))
        out.append(0.15 + 0.85 * x)
    return out


def _readings(meter: _Meter, ks: range, house: _House, rows: list[PointRow]) -> int:
    """The meter's readings k in ks, each closing the interval that ends at it, added to rows."""
    d, step_s, pv, grid, low = house.day, house.step_s, house.pv, house.grid_dv, house.low
    l1s, l2s, l3s = house.loads
    if not ks:
        return 0
    columns: list[list[int]] = [[] for _ in ELECTRICITY]
    i1c, i2c, e1c, e2c, impc, expc, il1c, il2c, il3c, el1c, el2c, el3c, v1c, v2c, v3c, a1c, a2c, a3c = columns
    i1, i2, e1, e2 = meter.joules
    rand = d.rnd.random
    todo = ks
    if meter.fresh:  # its first reading states the start positions; the house was without power
        g = grid[max(ks[0] * step_s - 1, 0) // 3600]
        positions = (i1 // 3600, i2 // 3600, e1 // 3600, e2 // 3600)
        gauges = (0, 0, 0, 0, 0, 0, 0, 0, g, g + 9, g - 6, 0, 0, 0)
        for column, v in zip(columns, (*positions, *gauges), strict=True):
            column.append(v)
        todo = ks[1:]
    for k in todo:
        h = (k * step_s - 1) // 3600
        s = pv[k] // 3  # a three-phase inverter
        n1, n2, n3 = l1s[k] - s, l2s[k] - s, l3s[k] - s
        net = n1 + n2 + n3  # the meter nets the phases
        imp = net if net > 0 else 0
        exp = imp - net
        if low[h]:
            i1 += imp * step_s
            e1 += exp * step_s
        else:
            i2 += imp * step_s
            e2 += exp * step_s
        i1c.append(i1 // 3600)
        i2c.append(i2 // 3600)
        e1c.append(e1 // 3600)
        e2c.append(e2 // 3600)
        impc.append(imp)
        expc.append(exp)
        il1c.append(n1 if n1 > 0 else 0)
        il2c.append(n2 if n2 > 0 else 0)
        il3c.append(n3 if n3 > 0 else 0)
        el1c.append(-n1 if n1 < 0 else 0)
        el2c.append(-n2 if n2 < 0 else 0)
        el3c.append(-n3 if n3 < 0 else 0)
        # Load pulls the voltage down and export pushes it up, ~1.6 V per kW, around the street's level.
        g, r = grid[h], rand()
        v1 = g - n1 // 60 + int(r * 9)
        v2 = g + 9 - n2 // 60 + int(r * 97) % 9
        v3 = g - 6 - n3 // 60 + int(r * 997) % 9
        v1c.append(v1)
        v2c.append(v2)
        v3c.append(v3)
        a1c.append((abs(n1) * 10 + v1 // 2) // v1)
        a2c.append((abs(n2) * 10 + v2 // 2) // v2)
        a3c.append((abs(n3) * 10 + v3 // 2) // v3)
    meter.joules[:] = i1, i2, e1, e2
    meter.fresh = False
    step_ms = step_s * 1000
    instants = range(d.start_ms + ks.start * step_ms, d.start_ms + ks.stop * step_ms, step_ms)
    for sid, column in zip(meter.streams, columns, strict=True):
        rows.extend(zip(repeat(sid, len(column)), instants, column, strict=True))
    return len(ks)


def _gas_readings(gas: _Gas, d: _Day, temperature: float, rows: list[PointRow]) -> None:
    """Hourly gas positions (DSMR 4 style, on the hour): heating by degree-hours, hot water, cooking."""
    rand = d.rnd.random
    for h in range(0 if gas.fresh else 1, d.hours + 1):
        if h:  # the position on the hour closes the hour before
            clock = d.clock[h - 1]
            outside = temperature + 3.5 * cos(2 * pi * (clock - 15) / 24)
            setpoint = 20.0 if 7 <= clock < 22 else 16.0
            heating = 14 * (setpoint - outside) if temperature < 16 and outside < setpoint else 0.0
            water = 280 if clock == 7 else 80 if clock == 18 else 6
            gas.litres += int((heating + water) * (0.85 + 0.3 * rand()))
        rows.append((gas.stream, d.start_ms + h * HOUR_MS, gas.litres))
    gas.fresh = False


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
    base = f"http://{settings.host}:{settings.port}"
    db = settings.database_url
    where = f"--database-url {db}" if db else f"--data-dir {settings.data_dir}"
    console.print(
        f"\n[bold]Demo site {summary.site_id}:[/] {summary.points:,} points stored "
        f"({summary.readings:,} electricity readings) in {summary.seconds:.1f} s. Its meters:",
        highlight=False,
    )
    console.print("\n".join(meter_lines), highlight=False, soft_wrap=True)
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
