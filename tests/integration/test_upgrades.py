"""Upgrading a database keeps what it holds and brings it to what the code computes today."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from meterhub.core import aggregate
from meterhub.core.aggregate import Agg
from meterhub.core.buckets import to_ms
from meterhub.platform import Platform
from meterhub.store.db import MIGRATIONS
from tests.conftest import Account
from tests.factories import electricity_meter
from tests.integration.test_write_path import stream_aggregates

TZ = "Europe/Amsterdam"


def alembic(platform: Platform, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with platform.db.writer.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_an_outage_stored_in_one_quarter_is_spread_by_the_upgrade(
    platform: Platform, account: Account
) -> None:
    sid = electricity_meter(platform, account.site_id).streams["import_t1_kwh"]
    before = (to_ms(datetime(2026, 2, 3, 10, 7, tzinfo=UTC)), 1_000)
    after = (to_ms(datetime(2026, 2, 6, 10, 7, tzinfo=UTC)), 37_000)
    # Revision 0004 put the 36 kWh of three days offline in the quarter of the reading after them.
    old = [
        (key, Agg(1, v, v, v, ts, v, ts, v, 0))
        for ts, v in (before, after)
        for key in aggregate.keys_holding(ts, TZ)
    ]
    old = [(key, agg._replace(delta=36_000 if agg.first_ts == after[0] else 0)) for key, agg in old]
    alembic(platform, "downgrade", "0004")
    try:
        with platform.db.writer.begin() as conn:
            for ts, v in (before, after):
                conn.execute(
                    text("INSERT INTO points (stream_id, ts, v) VALUES (:s, :t, :v)"),
                    {"s": sid, "t": ts, "v": v},
                )
            conn.execute(
                text(
                    "INSERT INTO stream_state (stream_id, n, first_ts, first_v, last_ts, last_v) VALUES (:s, 2, :a, :b, :c, :d)"
                ),
                {"s": sid, "a": before[0], "b": before[1], "c": after[0], "d": after[1]},
            )
            for (level, bucket), agg in old:
                conn.execute(
                    text(
                        "INSERT INTO aggregates (stream_id, level, bucket, n, sum_v, min_v, max_v, first_ts, first_v, "
                        "last_ts, last_v, delta) VALUES (:s, :l, :b, :n, :sum, :lo, :hi, :fts, :fv, :lts, :lv, :d)"
                    ),
                    {
                        "s": sid,
                        "l": level,
                        "b": bucket,
                        "n": agg.n,
                        "sum": agg.sum_v,
                        "lo": agg.min_v,
                        "hi": agg.max_v,
                        "fts": agg.first_ts,
                        "fv": agg.first_v,
                        "lts": agg.last_ts,
                        "lv": agg.last_v,
                        "d": agg.delta,
                    },
                )
    finally:
        platform.db.migrate()
    stored = stream_aggregates(platform, sid)
    spread = aggregate.roll_up(aggregate.quarters([before, after], previous=None, counter=True), TZ)
    assert stored == {key: tuple(agg) for key, agg in spread.items()}
    assert len([key for key in stored if key[0] == 1]) == 73  # 72 hours spanned, and the last reading's own
    assert sum(agg[-2] for key, agg in stored.items() if key[0] == 2) == 36_000
