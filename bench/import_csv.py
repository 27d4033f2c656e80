"""energydata.dk batch import: a CSV of 10 datastreams x 1,000,000 rows, validated and ingested.

The file (10,000,000 double values, one row a second, `;` between fields as in the document) is
written once to the bench's temporary directory. Then, against `meterhub serve`, the document's
steps: create the import, upload the file to its presigned URL, validate, ingest, polling the
import for its progress. Target: validate + ingest at ≥ 300,000 values/s, the server's memory
flat (its growth is reported).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import _common as c
from meterhub.clients.energydata_import import ImportClient

STREAMS = 10
ROWS = 1_000_000
START_S = 1_735_689_600  # 2025-01-01T00:00:00Z
TARGET = 300_000
EMAIL = "import@bench.invalid"


def write_csv(path: Path, ids: list[int]) -> None:
    """The file, built a block of rows at a time."""
    with path.open("w", encoding="utf-8") as out:
        out.write(";" + ";".join(map(str, ids)) + "\n")
        values = ";".join(f"{20 + i / 10:.1f}" for i in range(STREAMS))
        for lo in range(0, ROWS, 10_000):
            lines = []
            for i in range(lo, lo + 10_000):
                t = time.gmtime(START_S + i)
                lines.append(f"{time.strftime('%Y-%m-%dT%H:%M:%S', t)}.{i % 1000:03d}Z;{values}\n")
            out.write("".join(lines))


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, help="sample the server with py-spy into this file")
    args = parser.parse_args()
    c.pin(c.CLIENT_CPU)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        url = c.database_url(args.database_url, workdir)
        report = c.Report(f"import: a CSV of {STREAMS} datastreams x {ROWS:,} rows", url)
        p = c.open_platform(url, workdir)
        try:
            account = c.make_account(p, email=EMAIL)
            ids = c.double_streams(p, account.site_id, STREAMS)
            token = c.token(p, EMAIL, "batch-import")
        finally:
            p.close()
        path = workdir / "batch.csv"
        t0 = time.perf_counter()
        write_csv(path, ids)
        report.figure(
            "file", f"{path.stat().st_size / 1e6:,.0f} MB written in {time.perf_counter() - t0:.0f} s"
        )

        with c.meterhub_server(url, workdir) as server, c.PeakRss(server, every_s=0.1) as memory:
            client = ImportClient(token, server.url)
            created = client.create("bench")
            t0 = time.perf_counter()
            client.upload(created["id"], path)
            upload_s = time.perf_counter() - t0
            with c.profiled(server.proc.pid, args.profile):
                t1 = time.perf_counter()
                client.validate(created["id"])
                checked = client.wait(created["id"], every_s=0.2)
                validate_s = time.perf_counter() - t1
                if checked["status"] != "ready":
                    raise SystemExit(f"validation: {checked['status']}: {checked['errors'][:3]}")
                t2 = time.perf_counter()
                client.ingest(created["id"])
                finished = client.wait(created["id"], every_s=0.2)
                ingest_s = time.perf_counter() - t2
            client.close()
            if finished["status"] != "done":
                report.fail(f"ingest ended {finished['status']}: {finished['message']}")
        values = STREAMS * ROWS
        if checked["values"] != values:
            report.fail(f"validation counted {checked['values']:,} values, {values:,} expected")
        report.figure("upload", f"{upload_s:.1f} s ({path.stat().st_size / upload_s / 1e6:,.0f} MB/s)")
        report.figure("validate", f"{validate_s:.1f} s ({values / validate_s:,.0f} values/s)")
        report.figure("ingest", f"{ingest_s:.1f} s ({values / ingest_s:,.0f} values/s)")
        report.target("validate + ingest", values / (validate_s + ingest_s), "values/s", at_least=TARGET)
        report.figure(
            "server memory growth", f"{memory.growth_mb:.1f} MB (peak RSS {memory.peak / 1024:.0f} MiB)"
        )
        report.exit()


if __name__ == "__main__":
    main()
