"""Freshness: how soon after its 201 a telegram's energy shows in consumption/today and statistics/hour.

A datalogger posts a baseline telegram, then one telegram after another (1 s apart on the meter's
clock, all earlier today); after each 201 the bench polls both endpoints back to back until the
new meter positions' usage shows. Target: at most 1 s; aggregates are updated in the same
transaction as the points, so the first poll is expected to see it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

import _common as c

TARGET_S = 1.0
POLL_FOR_S = 5.0
EXTRA_WH = 1_000  # each telegram adds this much on top of the model's steps, so usage is plain to see


def poll(client: httpx.Client, shows: Callable[[], bool]) -> tuple[float, int]:
    """Seconds until `shows()` (which asks the server) holds, and how many requests that took."""
    t0 = time.perf_counter()
    polls = 0
    while True:
        polls += 1
        if shows():
            return time.perf_counter() - t0, polls
        if time.perf_counter() - t0 > POLL_FOR_S:
            return float("inf"), polls


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument("--telegrams", type=int, default=30, help="telegrams to time (default 30)")
    args = parser.parse_args()
    c.pin(c.CLIENT_CPU)
    zone = ZoneInfo(c.TIMEZONE)
    # Every reading must be earlier today at the site (and none in the future).
    first = int(time.time()) - args.telegrams - 5
    if datetime.fromtimestamp(first, zone).date() != datetime.now(zone).date():
        time.sleep(args.telegrams + 10)
        first = int(time.time()) - args.telegrams - 5
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        url = c.database_url(args.database_url, workdir)
        report = c.Report("freshness: a telegram's energy in consumption/today and statistics/hour", url)
        p = c.open_platform(url, workdir)
        account = c.make_account(p, email="fresh@bench.invalid")
        p.close()
        template = c.telegram_template()
        baseline = c.reading_values(0, first)
        with (
            c.meterhub_server(url, workdir) as server,
            httpx.Client(base_url=server.url, headers={"X-AUTHKEY": account.key}, timeout=30) as client,
        ):

            def post(values: dict[str, str]) -> None:
                r = client.post(
                    "/api/v1/datalogger/dsmrreading", data={"telegram": c.render(template, values)}
                )
                if r.status_code != 201:
                    raise SystemExit(f"telegram refused: {r.status_code} {r.text}")

            post(baseline)
            today_s, hour_s, first_poll = [], [], 0
            for n in range(1, args.telegrams + 1):
                values = c.reading_values(n, first + n, extra_wh=n * EXTRA_WH)
                used = {k: Decimal(values[k]) - Decimal(baseline[k]) for k in ("import_t1", "import_t2")}

                def today_shows(used: dict[str, Decimal] = used) -> bool:
                    body = client.get("/api/v2/consumption/today").json()
                    return isinstance(body, dict) and (
                        Decimal(str(body["electricity1"])),
                        Decimal(str(body["electricity2"])),
                    ) == (used["import_t1"], used["import_t2"])

                def hours_show(used: dict[str, Decimal] = used) -> bool:
                    rows = client.get("/api/v2/statistics/hour?limit=1000").json()["results"]
                    return (
                        sum(Decimal(r["electricity1"]) for r in rows),
                        sum(Decimal(r["electricity2"]) for r in rows),
                    ) == (used["import_t1"], used["import_t2"])

                post(values)  # returns once the 201 is in
                delay, polls = poll(client, today_shows)
                today_s.append(delay)
                first_poll += polls == 1
                delay, polls = poll(client, hours_show)
                hour_s.append(delay)
                first_poll += polls == 1

        report.figure("telegrams timed", f"{args.telegrams} (each checked on both endpoints)")
        report.figure("seen on the first poll", f"{first_poll} of {2 * args.telegrams}")
        for name, delays in (("consumption/today", today_s), ("statistics/hour", hour_s)):
            report.figure(f"{name} delay p50", f"{c.percentile(delays, 50) * 1000:.1f} ms")
            report.target(f"{name} delay max", max(delays), "s", at_most=TARGET_S, decimals=3)
        report.exit()


if __name__ == "__main__":
    main()
