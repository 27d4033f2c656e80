"""The simulated household and its meters: a day's readings as point rows, made without I/O.

Generation runs per local day on integers in each role's stored units (Wh, W, dV, A, litres):
only the day's hours are looked up on the calendar, never a point's, and no Decimal is made per
point, so making a year at one reading a minute (~9.5 million points) takes ~3 s of the ~35 s the
write path needs to store it.
Random draws are seeded per day, so a day's data depends only on the day and on the meter
positions it starts from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise, repeat
from math import acos, cos, pi, radians, sin

from meterhub.core.buckets import HOUR_MS, day_start_ms, from_ms
from meterhub.ingest.write_path import PointRow

TIMEZONE = "Europe/Amsterdam"  # the demo site's, and the household's clock

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


@dataclass
class Meter:
    """An electricity meter and where its counters stand."""

    equipment_id: str
    streams: tuple[int, ...]  # in ELECTRICITY order
    joules: list[int]  # the four counters in J (Wh x 3600), so no step is lost to rounding
    fresh: bool  # nothing stored yet: its first reading only states the start positions


@dataclass
class Gas:
    """The gas meter and where it stands."""

    stream: int
    litres: int
    fresh: bool


@dataclass
class State:
    """Where generation stands: the next day, the meters, and a meter swap still ahead."""

    origin: date  # the demo's first day
    day: date  # the next day to generate
    meter: Meter
    gas: Gas
    replace_on: date | None  # when the old electricity meter is swapped, if still ahead
    successor: Meter | None  # the new meter, registered when the swap is planned


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


def day_rows(state: State, step_s: int) -> tuple[list[PointRow], int]:
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
    l1, l2, l3 = ([int(edges[0] * share)] for share in PHASE_SHARE)
    phases = (l1, l2, l3)
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
    runs: list[tuple[int, int, Run]] = [(1, at(8 if weekend else 7, 60), kettle)]
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


def _readings(meter: Meter, ks: range, house: _House, rows: list[PointRow]) -> int:
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


def _gas_readings(gas: Gas, d: _Day, temperature: float, rows: list[PointRow]) -> None:
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
