"""Read latency on a year of 10-second readings: day and hour statistics, and the latest reading.

One site gets 2025 in 10-second readings of the six electricity streams of a DSMR 5 telegram
(3,153,600 readings each) and an hourly gas meter, written through the one write path. Then
`meterhub serve` answers ≥ 200 sequential requests of each query over one keep-alive connection;
client-side p50/p99 are reported. Targets (p50): 10 ms, 10 ms and 5 ms.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.engine import make_url

import _common as c
from meterhub.core.buckets import day_start_ms
from meterhub.ingest.write_path import PointRow
from meterhub.platform import Platform
from meterhub.store import meters

YEAR = 2025
EMAIL = "year@bench.invalid"
ELECTRICITY = ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh", "import_kw", "export_kw")
EVERY_S = 10
HOURS_PER_BATCH = 72  # 72 h x 360 readings x 6 streams ≈ 155,000 points a transaction
# (short name, description, path, rows expected, target p50 in ms)
QUERIES = (
    (
        "day",
        "statistics/day, a year (365 rows)",
        f"/api/v2/statistics/day?day__gte={YEAR}-01-01&day__lte={YEAR}-12-31&limit=400",
        365,
        10.0,
    ),
    (
        "hour",
        "statistics/hour, June (720 rows)",
        f"/api/v2/statistics/hour?hour_start__gte={YEAR}-06-01T00:00:00&hour_start__lte={YEAR}-06-30T23:00:00"
        "&limit=1000",
        720,
        10.0,
    ),
    (
        "peaks",
        "quarter-hour peaks, the latest 25 of a year (and its count)",
        "/api/v2/consumption/quarter-hour-peak-electricity?ordering=-read_at_start",
        25,
        10.0,
    ),
    (
        "top-peaks",
        "quarter-hour peaks, June's 10 highest (2,880 quarters)",
        f"/api/v2/consumption/quarter-hour-peak-electricity?read_at_start__gte={YEAR}-06-01T00:00:00"
        f"&read_at_start__lte={YEAR}-06-30T23:59:59&ordering=-average_delivered&limit=10",
        10,
        10.0,
    ),
    (
        "latest",
        "dsmrreading, the latest",
        "/api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1",
        1,
        5.0,
    ),
)

# A household: base load by local hour (W), solar panels, a gas boiler.
LOAD_W = (
    260,
    230,
    220,
    220,
    230,
    280,
    450,
    700,
    600,
    420,
    380,
    400,
    480,
    420,
    380,
    420,
    520,
    900,
    1100,
    950,
    800,
    650,
    480,
    330,
)
GAS_DM3 = (
    20,
    15,
    15,
    15,
    20,
    60,
    180,
    220,
    150,
    90,
    70,
    60,
    60,
    60,
    60,
    70,
    100,
    160,
    200,
    180,
    150,
    120,
    80,
    40,
)
SOLAR_PEAK_W = 3200


def year_span() -> tuple[int, int]:
    """UTC ms of the first and after the last instant of the year at the site."""
    return day_start_ms(c.TIMEZONE, date(YEAR, 1, 1)), day_start_ms(c.TIMEZONE, date(YEAR + 1, 1, 1))


def readings_per_stream() -> int:
    start, end = year_span()
    return (end - start) // (EVERY_S * 1000)


def year_of_rows(streams: dict[str, int], gas_id: int) -> Iterator[list[PointRow]]:
    """The year's points in batches of HOURS_PER_BATCH hours, in time order."""
    rnd = random.Random(2025)
    noise = [rnd.randint(-120, 120) + (2000 if rnd.random() < 0.02 else 0) for _ in range(8191)]
    clouds = [rnd.randint(30, 100) for _ in range(4093)]
    zone = ZoneInfo(c.TIMEZONE)
    i1, i2, e1, e2, ikw, ekw = (streams[r] for r in ELECTRICITY)
    ws = {1: 0, 2: 0}  # imported watt-seconds per tariff
    ws_out = {1: 0, 2: 0}
    gas_dm3 = 4_321_000
    start, end = year_span()
    k = 0
    rows: list[PointRow] = []
    for n, hour_ms in enumerate(range(start, end, 3_600_000)):
        local = datetime.fromtimestamp(hour_ms / 1000, zone)
        doy = local.timetuple().tm_yday
        season = 0.55 - 0.45 * math.cos(2 * math.pi * (doy - 10) / 365)  # 0.1 in winter, 1 in summer
        daylight = max(0.0, math.cos((local.hour + 0.5 - 13) / 7 * math.pi / 2))
        sun = int(SOLAR_PEAK_W * season * daylight)
        weekend = local.weekday() >= 5
        tariff = 1 if weekend or not 7 <= local.hour < 23 else 2  # NL: 1 = low (nights, weekends)
        load = LOAD_W[local.hour] + (150 if weekend else 0)
        for j in range(3600 // EVERY_S):
            k += 1
            net = load + noise[k % 8191] - sun * clouds[k % 4093] // 100
            ts = hour_ms + j * EVERY_S * 1000
            if net >= 0:
                ws[tariff] += net * EVERY_S
                power_in, power_out = net, 0
            else:
                ws_out[tariff] -= net * EVERY_S
                power_in, power_out = 0, -net
            rows += (
                (i1, ts, 5_000_000 + ws[1] // 3600),
                (i2, ts, 4_000_000 + ws[2] // 3600),
                (e1, ts, 1_000_000 + ws_out[1] // 3600),
                (e2, ts, 2_000_000 + ws_out[2] // 3600),
                (ikw, ts, power_in),
                (ekw, ts, power_out),
            )
        gas_dm3 += int(GAS_DM3[local.hour] * (1.6 - season))
        rows.append((gas_id, hour_ms, gas_dm3))
        if (n + 1) % HOURS_PER_BATCH == 0:
            yield rows
            rows = []
    if rows:
        yield rows


def generate(p: Platform, account: c.Account, report: c.Report) -> None:
    """Write the year through the write path, keeping one batch in flight while the next is made."""
    electricity = p.registry.streams(
        site_id=account.site_id,
        meter_type="electricity",
        equipment_id="E0053YEAR",
        protocol="dsmr5",
        roles=ELECTRICITY,
    )
    gas = p.registry.streams(
        site_id=account.site_id,
        meter_type="gas",
        equipment_id="G0042YEAR",
        protocol="dsmr5",
        roles=("gas_m3",),
    )
    t0 = time.perf_counter()
    total, pending = 0, None
    for rows in year_of_rows(electricity.streams, gas.streams["gas_m3"]):
        if pending is not None:
            pending.result()
        pending = p.writer.submit(rows)
        total += len(rows)
    if pending is not None:
        pending.result()
    elapsed = time.perf_counter() - t0
    report.figure(
        "generated and written", f"{total:,} points in {elapsed:.0f} s ({total / elapsed:,.0f} points/s)"
    )
    if p.db.dialect == "postgresql":
        # What autovacuum does after a bulk load, done now so the plans do not depend on its timing.
        with p.db.reader.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def complete(p: Platform, account: c.Account) -> bool:
    """Whether the database holds the whole year already."""
    with p.db.reader.connect() as conn:
        found = meters.site_streams(conn, account.site_id, ELECTRICITY)
        counts = meters.stream_counts(conn, [s.stream_id for s in found])
    return len(found) == len(ELECTRICITY) and all(
        counts.get(s.stream_id, (0,))[0] == readings_per_stream() for s in found
    )


def prepare(
    args_url: str, reuse: str | None, workdir: Path, report_title: str
) -> tuple[str, c.Account, c.Report]:
    """The database with the year in it: reused when --reuse finds it complete, else made anew."""
    sqlite_path = Path(reuse) if reuse and not args_url else None
    given = args_url or (f"sqlite:///{sqlite_path.resolve()}" if sqlite_path else "")
    url = c.database_url(given, workdir, keep=reuse is not None)
    report = c.Report(report_title, url)
    p = c.open_platform(url, workdir)
    try:
        account = c.new_key(p, email=EMAIL) if reuse is not None else None
        if account is not None and complete(p, account):
            report.figure("data", f"reused ({make_url(url).render_as_string(hide_password=True)})")
            return url, account, report
    finally:
        p.close()
    if reuse is not None:  # missing or incomplete: start over
        if sqlite_path:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        url = c.database_url(given, workdir)
    p = c.open_platform(url, workdir)
    try:
        account = c.make_account(p, email=EMAIL)
        generate(p, account, report)
    finally:
        p.close()
    return url, account, report


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--reuse",
        nargs="?",
        const="",
        metavar="PATH",
        help="keep the generated year between runs: in the SQLite file PATH, or (no PATH) "
        "in the --database-url PostgreSQL database",
    )
    parser.add_argument("--requests", type=int, default=300, help="timed requests per query (default 300)")
    parser.add_argument(
        "--only", action="append", choices=[q[0] for q in QUERIES], help="run only these queries"
    )
    parser.add_argument("--profile", type=Path, help="sample the server with py-spy into this file")
    args = parser.parse_args()
    if args.reuse == "" and not args.database_url:
        parser.error("--reuse needs a PATH for SQLite")
    c.pin(c.CLIENT_CPU)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        title = f"queries: a year of {EVERY_S}-second readings, {args.requests} requests each"
        url, account, report = prepare(args.database_url, args.reuse, workdir, title)
        with c.null_server(workdir) as null, httpx.Client(base_url=null.url) as client:
            floor = c.timed_gets(client, "/", args.requests, lambda r: None)
        report.figure("client + loopback floor p50", f"{c.percentile(floor, 50):.2f} ms (null server)")
        with (
            c.meterhub_server(url, workdir) as server,
            httpx.Client(base_url=server.url, headers={"X-AUTHKEY": account.key}, timeout=60) as client,
        ):
            with c.profiled(server.proc.pid, args.profile):
                for short, name, path, rows, target in QUERIES:
                    if args.only and short not in args.only:
                        continue

                    def check(r: httpx.Response, rows: int = rows, path: str = path) -> None:
                        if r.status_code != 200 or len(r.json()["results"]) != rows:
                            raise SystemExit(
                                f"{path}: {r.status_code}, expected {rows} results: {r.text[:300]}"
                            )

                    c.timed_gets(client, path, 10, check)  # warm-up
                    ms = c.timed_gets(client, path, args.requests, check)
                    report.target(f"{name} p50", c.percentile(ms, 50), "ms", at_most=target, decimals=2)
                    report.figure(
                        "    p99 / mean", f"{c.percentile(ms, 99):.2f} / {sum(ms) / len(ms):.2f} ms"
                    )
            memory = server.memory_kb()
        report.figure("server memory peak", f"{memory['VmHWM'] / 1024:.0f} MiB")
        report.exit()


if __name__ == "__main__":
    main()
