"""Batch imports across a restart: an ingest cut off says so, and goes on where it stopped."""

from __future__ import annotations

from pathlib import Path

from meterhub.auth import keys
from meterhub.auth.access import Principal
from meterhub.core.datatypes import Datatype
from meterhub.core.entities import Import
from meterhub.platform import Platform
from meterhub.store import imports
from tests.conftest import Account
from tests.factories import datastreams
from tests.waiting import until


def _settled(p: Platform, import_id: int) -> Import:
    def found() -> Import:
        with p.db.reader.connect() as conn:
            return imports.get(conn, import_id)

    return until(
        found,
        lambda i: i.status not in (imports.VALIDATING, imports.INGESTING),
        30,
        what=f"the end of import {import_id}'s background step",
    )


def test_an_ingest_cut_off_by_a_restart_is_marked_and_resumes_once(
    platform: Platform, account: Account, tmp_path: Path
) -> None:
    stream = datastreams(platform, site_id=account.site_id, prefix="lab", streams={"n": Datatype.INTEGER})[
        "n"
    ]
    lines = [f";{stream.id}"] + [f"2021-03-10T20:{i // 60:02d}:{i % 60:02d}.000Z;{i}" for i in range(600)]
    created, user_key = _ready(platform, account, "\n".join(lines) + "\n")

    # The first 250 rows went in, then the server died in the middle of the ingest.
    platform.writer.write([(stream.id, 1615406400000 + i * 1000, i) for i in range(250)])
    with platform.db.writer.begin() as conn:
        imports.set_state(conn, created.id, imports.INGESTING, done=250, total=600)
    platform.imports.close()
    restarted = Platform(platform.settings)
    try:
        with restarted.db.reader.connect() as conn:
            cut = imports.get(conn, created.id)
        assert cut.status == imports.FAILED and "cut off by a restart after row 250" in (cut.message or "")
        restarted.imports.ingest(created.id, user_key)
        finished = _settled(restarted, created.id)
        assert finished.status == imports.DONE and finished.done == 600
        with restarted.db.reader.connect() as conn:
            count = conn.exec_driver_sql(
                f"SELECT COUNT(*), SUM(v) FROM points WHERE stream_id = {stream.id}"
            ).one()
        assert tuple(count) == (600, sum(range(600)))
    finally:
        restarted.close()


def _ready(platform: Platform, account: Account, body: str) -> tuple[Import, Principal]:
    """An import of the body, uploaded and validated, and the principal of its token."""
    with platform.db.writer.begin() as conn:
        key = keys.issue_key(conn, user_id=account.user_id, site_id=None, scopes=("batch-import",))[1]
        who = keys.authenticate(conn, key).principal
        created = imports.create(conn, user_id=account.user_id, credential_id=None, name="test")
    upload = platform.imports.files.partial(created.id)  # type: ignore[attr-defined]
    upload.write_text(body)
    platform.imports.uploaded(created.id, upload.stat().st_size)  # moved into place
    platform.imports.validate(created.id, who)
    assert _settled(platform, created.id).status == imports.READY
    return created, who


def test_stopping_the_server_mid_ingest_leaves_a_resumable_import(
    platform: Platform, account: Account
) -> None:
    streams = datastreams(
        platform, site_id=account.site_id, prefix="big", streams={f"s{i}": Datatype.INTEGER for i in range(4)}
    )
    ids = [s.id for s in streams.values()]
    rows = 40_000  # 160,000 values: two chunks
    times = (
        f"2021-03-{10 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        for i in range(rows)
    )
    body = (
        ";" + ";".join(map(str, ids)) + "\n" + "".join(f"{t};{i};{i};{i};{i}\n" for i, t in enumerate(times))
    )
    created, who = _ready(platform, account, body)
    platform.imports.ingest(created.id, who)
    platform.imports.close()  # the server stops: after the chunk being written, if one is

    restarted = Platform(platform.settings)
    try:
        with restarted.db.reader.connect() as conn:
            stopped = imports.get(conn, created.id)
        assert stopped.status == imports.FAILED and "PUT ingest again" in (stopped.message or "")
        restarted.imports.ingest(created.id, who)
        assert _settled(restarted, created.id).status == imports.DONE
        with restarted.db.reader.connect() as conn:
            stored = conn.exec_driver_sql(
                f"SELECT COUNT(*) FROM points WHERE stream_id IN {tuple(ids)}"
            ).scalar()
        assert stored == 4 * rows
    finally:
        restarted.close()
