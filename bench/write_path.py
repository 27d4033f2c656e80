"""Bulk write path: points straight through Platform.writer.write(rows), aggregates maintained.

10 streams of one meter (counters and gauges) get 300,000 points each, 10 s apart, in batches of
100,000 points; every batch is one transaction of the one write path (points, stream state and
quarter/hour/day aggregates). Targets: >= 300,000 points/s on SQLite, >= 150,000 on PostgreSQL,
and at most 25 bytes a point on SQLite.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

import _common as c
from meterhub.ingest.write_path import PointRow
from meterhub.store.db import Database

ROLES = (
    "import_t1_kwh",
    "import_t2_kwh",
    "export_t1_kwh",
    "export_t2_kwh",
    "import_kw",
    "export_kw",
    "import_l1_kw",
    "import_l2_kw",
    "import_l3_kw",
    "voltage_l1_v",
)
COUNTERS = {"import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh"}
TARGET = {"sqlite": 300_000, "postgresql": 150_000}
SQLITE_BYTES_TARGET = 25
START_MS = 1_735_686_000_000  # 2025-01-01 00:00 in Amsterdam
EVERY_MS = 10_000


def batches(stream_ids: dict[str, int], per_stream: int, batch: int) -> list[list[PointRow]]:
    """Every stream's points in time order, cut into batches of about `batch` points."""
    per_batch = max(1, batch // len(stream_ids))
    out = []
    for first in range(0, per_stream, per_batch):
        span = range(first, min(first + per_batch, per_stream))
        rows: list[PointRow] = []
        for role, sid in stream_ids.items():
            if role in COUNTERS:  # a register that never goes down: +2 to +4 per reading
                rows += [(sid, START_MS + i * EVERY_MS, 1_000_000 + 3 * i + i % 2) for i in span]
            else:
                rows += [(sid, START_MS + i * EVERY_MS, i * 7919 % 5000) for i in span]
        out.append(rows)
    return out


def storage(url: str, report: c.Report, points: int) -> None:
    """Bytes a point takes in the points table (and, for information, in aggregates and in all)."""
    if make_url(url).get_backend_name() == "sqlite":
        conn = sqlite3.connect(make_url(url).database or "")
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            sizes = dict(
                conn.execute(
                    "SELECT name, SUM(pgsize) FROM dbstat "
                    "WHERE name IN ('points', 'aggregates') GROUP BY name"
                ).fetchall()
            )
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        finally:
            conn.close()
        report.target(
            "points table, bytes per point",
            sizes["points"] / points,
            "B",
            at_most=SQLITE_BYTES_TARGET,
            decimals=1,
        )
        report.figure("aggregates table, bytes per point", f"{sizes['aggregates'] / points:.1f} B")
        report.figure("whole file, bytes per point", f"{page * pages / points:.1f} B")
        return
    db = Database(url)
    try:
        with db.reader.connect() as pg:
            total, heap, aggregates = pg.execute(
                text(
                    "SELECT pg_total_relation_size('points'), pg_relation_size('points'), "
                    "pg_total_relation_size('aggregates')"
                )
            ).one()
    finally:
        db.dispose()
    report.figure(
        "points, bytes per point", f"{total / points:.1f} B (table {heap / points:.1f} B, rest index)"
    )
    report.figure("aggregates, bytes per point", f"{aggregates / points:.1f} B")


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=10, choices=range(1, len(ROLES) + 1), metavar="N")
    parser.add_argument("--points", type=int, default=300_000, help="points per stream (default 300,000)")
    parser.add_argument("--batch", type=int, default=100_000, help="points per write (default 100,000)")
    parser.add_argument("--profile", type=Path, help="sample this process with py-spy into this file")
    args = parser.parse_args()
    c.pin(c.SERVER_CPU)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        url = c.database_url(args.database_url, Path(tmp))
        report = c.Report(
            f"write_path: {args.streams} streams x {args.points:,} points, batches of {args.batch:,}", url
        )
        p = c.open_platform(url, Path(tmp))
        try:
            account = c.make_account(p, email="bulk@bench.invalid")
            meter = p.registry.streams(
                site_id=account.site_id,
                meter_type="electricity",
                equipment_id="BULK0001",
                protocol="dsmr5",
                roles=ROLES[: args.streams],
            )
            work = batches(meter.streams, args.points, args.batch)
            total = sum(len(b) for b in work)
            with c.profiled(os.getpid(), args.profile):
                t0 = time.perf_counter()
                for rows in work:
                    outcome = p.writer.write(rows)
                    if outcome.stored != len(rows):
                        report.fail(f"a batch of {len(rows):,} stored {outcome.stored:,}")
                elapsed = time.perf_counter() - t0
            with p.db.reader.connect() as conn:
                stored = conn.exec_driver_sql("SELECT COUNT(*) FROM points").scalar_one()
                levels = dict(
                    conn.exec_driver_sql("SELECT level, COUNT(*) FROM aggregates GROUP BY level").all()
                )
            report.figure("points written", f"{total:,} in {len(work)} transactions, {elapsed:.1f} s")
            report.figure(
                "aggregate rows (quarter/hour/day)", " / ".join(f"{levels.get(i, 0):,}" for i in (0, 1, 2))
            )
            report.target("throughput", total / elapsed, "points/s", at_least=TARGET[p.db.dialect])
            if stored != total:
                report.fail(f"{total:,} points written but {stored:,} stored")
        finally:
            p.close()
        storage(url, report, stored)
        report.exit()


if __name__ == "__main__":
    main()
