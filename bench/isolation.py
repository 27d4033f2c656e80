"""Isolation: one site's telegrams while another site sends readings at the edges of the time window.

Site A's datalogger posts v1 telegrams (one after another, one second apart on the meter's
clock). Site B, which has a few hours of ordinary readings, meanwhile posts v2 readings stamped
2000-01-01 (the earliest time stored, 26 years before its others) and 23 hours ahead of the
server's clock, and ordinary readings in between, which then all go back in time. Each of B's
points takes the one writer that A's telegrams need too. Target: A's p99 latency with B at work
at most 100 ms. A alone is measured first, for comparison; B's requests are timed as well.
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

import _common as c

TARGET_P99_MS = 100.0
V1 = "/api/v1/datalogger/dsmrreading"
V2 = "/api/v2/datalogger/dsmrreading"


def reading(moment: datetime, n: int) -> dict[str, str]:
    """A v2 reading at that moment (its registers growing with n)."""
    return {
        "timestamp": moment.isoformat(),
        "electricity_currently_delivered": "0.5",
        "electricity_currently_returned": "0",
        "electricity_delivered_1": f"{1000 + n * 0.001:.3f}",
        "electricity_delivered_2": f"{2000 + n * 0.001:.3f}",
        "electricity_returned_1": "0",
        "electricity_returned_2": "0",
    }


class Telegrams:
    """Site A's datalogger: telegrams one after another, each one's latency kept."""

    def __init__(self, url: str, key: str, first_s: int) -> None:
        self.client = httpx.Client(base_url=url, headers={"X-AUTHKEY": key}, timeout=60)
        self.template = c.telegram_template()
        self.n, self.first_s = 0, first_s
        self.refused = 0

    def post_for(self, seconds: float) -> list[float]:
        latencies = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.n += 1
            telegram = c.render(self.template, c.reading_values(self.n, self.first_s + self.n))
            t0 = time.perf_counter()
            r = self.client.post(V1, data={"telegram": telegram})
            latencies.append(time.perf_counter() - t0)
            self.refused += r.status_code != 201
        return latencies


def edges(url: str, key: str, stop: threading.Event, latencies: list[float], refused: list[str]) -> None:
    """Site B: readings at 2000-01-01, 23 h ahead, and now, in turn, until told to stop."""
    with httpx.Client(base_url=url, headers={"X-AUTHKEY": key}, timeout=60) as client:
        n, now = 0, datetime.now(UTC).replace(microsecond=0)
        while not stop.is_set():
            n += 1
            for moment in (
                datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
                now + timedelta(hours=23, milliseconds=n),
                now - timedelta(minutes=30) + timedelta(milliseconds=n),
            ):
                t0 = time.perf_counter()
                r = client.post(V2, json=reading(moment, n))
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 201:
                    refused.append(f"{r.status_code} {r.text[:200]}")


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="how long B is at work (default 20)")
    args = parser.parse_args()
    c.pin(c.CLIENT_CPU)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        url = c.database_url(args.database_url, workdir)
        report = c.Report("isolation: site A's telegrams while site B writes at the window's edges", url)
        p = c.open_platform(url, workdir)
        a = c.make_account(p, email="a@bench.invalid")
        b = c.make_account(p, email="b@bench.invalid")
        p.close()
        # A's telegrams start an hour ago, one second apart: well inside the window all run long.
        first_s = int(time.time()) - 3600
        with c.meterhub_server(url, workdir) as server:
            with httpx.Client(base_url=server.url, headers={"X-AUTHKEY": b.key}, timeout=60) as client:
                start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
                for i in range(0, 3 * 3600, 10):  # three hours of B's ordinary readings, 10 s apart
                    r = client.post(V2, json=reading(start + timedelta(seconds=i), i))
                    if r.status_code != 201:
                        raise SystemExit(f"B's history was refused: {r.status_code} {r.text}")
            telegrams = Telegrams(server.url, a.key, first_s)
            telegrams.post_for(2)  # warm up
            alone = telegrams.post_for(args.seconds / 2)
            stop, b_latencies, b_refused = threading.Event(), [], []
            worker = threading.Thread(target=edges, args=(server.url, b.key, stop, b_latencies, b_refused))
            worker.start()
            try:
                shared = telegrams.post_for(args.seconds)
            finally:
                stop.set()
                worker.join()
            telegrams.client.close()

        def ms(values: list[float], p: float) -> str:
            return f"{c.percentile(values, p) * 1000:.1f}"

        report.figure(
            "A alone: telegrams, p50 / p99 / max",
            f"{len(alone):,}, {ms(alone, 50)} / {ms(alone, 99)} / {max(alone) * 1000:.1f} ms",
        )
        report.figure(
            "A with B: telegrams, p50 / max",
            f"{len(shared):,}, {ms(shared, 50)} / {max(shared) * 1000:.1f} ms",
        )
        report.figure(
            "B's readings, p50 / p99 / max",
            f"{len(b_latencies):,}, {ms(b_latencies, 50)} / "
            f"{ms(b_latencies, 99)} / {max(b_latencies) * 1000:.1f} ms",
        )
        report.target(
            "A's p99 with B at work", c.percentile(shared, 99) * 1000, "ms", at_most=TARGET_P99_MS, decimals=1
        )
        if telegrams.refused:
            report.fail(f"{telegrams.refused} of A's telegrams were refused")
        if b_refused:
            report.fail(f"{len(b_refused)} of B's readings were refused, the first: {b_refused[0]}")
        report.exit()


if __name__ == "__main__":
    main()
