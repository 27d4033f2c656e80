"""energydata.dk values streaming: a 10-million-point range as CSV to a client on loopback.

Ten double datastreams of one dataset get 1,000,000 points each (one a second), written through
the one write path. Then `GET /api/v1/datastreams/values?ids=<all ten>&from=…&to=…` streams them
to an httpx client that counts the rows as they arrive. Targets: ≥ 1,000,000 rows/s, and the
server's memory may grow by at most 50 MB while it streams.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx

import _common as c
from meterhub.platform import Platform
from meterhub.store import datasets

STREAMS = 10
POINTS = 1_000_000
START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
EMAIL = "values@bench.invalid"
BATCH = 200_000


def generate(p: Platform, report: c.Report) -> list[int]:
    account = c.make_account(p, email=EMAIL)
    ids = c.double_streams(p, account.site_id, STREAMS)
    t0 = time.perf_counter()
    for sid in ids:
        for lo in range(0, POINTS, BATCH):
            p.writer.write(
                [(sid, START_MS + i * 1000, 20.0 + (i % 1000) / 100) for i in range(lo, lo + BATCH)]
            )
    elapsed = time.perf_counter() - t0
    report.figure("generated and written", f"{STREAMS * POINTS:,} points in {elapsed:.0f} s")
    return ids


def existing(p: Platform) -> list[int] | None:
    with p.db.reader.connect() as conn:
        found = datasets.dataset_by_prefix(conn, "bench")
        if found is None:
            return None
        return [s.id for s in datasets.list_streams(conn, found.id)]


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument("--reuse", metavar="PATH", help="keep the generated points in this SQLite file")
    parser.add_argument("--profile", type=Path, help="sample the server with py-spy into this file")
    args = parser.parse_args()
    c.pin(c.CLIENT_CPU)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        given = args.database_url or (f"sqlite:///{Path(args.reuse).resolve()}" if args.reuse else "")
        url = c.database_url(given, workdir, keep=bool(args.reuse))
        report = c.Report(f"values: {STREAMS} streams x {POINTS:,} points as CSV", url)
        p = c.open_platform(url, workdir)
        try:
            ids = existing(p) if args.reuse else None
            if ids is None:
                ids = generate(p, report)
            else:
                report.figure("data", "reused")
            token = c.token(p, EMAIL, "read")
        finally:
            p.close()
        params = {"ids": ",".join(map(str, ids)), "from": "2025-01-01T00:00:00", "to": "2025-12-31T23:59:59"}
        rows = 0
        with (
            c.meterhub_server(url, workdir) as server,
            c.PeakRss(server) as memory,
            c.profiled(server.proc.pid, args.profile),
        ):
            t0 = time.perf_counter()
            with httpx.stream(
                "GET",
                f"{server.url}/api/v1/datastreams/values",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                timeout=600,
            ) as response:
                if response.status_code != 200:
                    raise SystemExit(f"{response.status_code}: {response.read()[:300]!r}")
                for chunk in response.iter_raw():
                    rows += chunk.count(b"\n")
            elapsed = time.perf_counter() - t0
        expected = STREAMS * POINTS
        if rows != expected:
            report.fail(f"{rows:,} rows arrived, {expected:,} expected")
        report.figure("rows streamed", f"{rows:,} in {elapsed:.1f} s")
        report.target("throughput", rows / elapsed, "rows/s", at_least=1_000_000)
        report.target("server memory growth", memory.growth_mb, "MB", at_most=50, decimals=1)
        report.exit()


if __name__ == "__main__":
    main()
