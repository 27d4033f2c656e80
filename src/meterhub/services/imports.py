"""Batch imports end to end: the file, checking and ingesting it in the background.

One worker thread runs the steps one after another, so an import never competes with another for
the writer; each step records its progress, and a step cut off by a restart is marked so: a
validation starts over, an ingest goes on from the last committed chunk (the write path stores
each point once, so a chunk written twice changes nothing).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import Connection

from meterhub.auth.access import Access, Principal, require_dataset
from meterhub.core.datatypes import Value
from meterhub.core.entities import Datastream, Import
from meterhub.core.errors import Conflict, Forbidden, MeterhubError, NotFound, TooLarge
from meterhub.ingest import csv_import
from meterhub.ingest.csv_import import Column
from meterhub.ingest.writer import Writer
from meterhub.services.import_files import ImportFiles, LocalFiles
from meterhub.store import datasets, imports, writes
from meterhub.store.db import Database
from meterhub.store.imports import (
    DONE,
    FAILED,
    INGESTING,
    INVALID,
    READY,
    STORED,
    UPLOADED,
    VALIDATING,
)

if TYPE_CHECKING:
    from meterhub.platform import Platform

log = logging.getLogger(__name__)

PROGRESS_EVERY_BYTES = 1 << 20
_CUT_CHECK = "Validation was cut off by a restart; validate again."


class Imports:
    """The imports of one server: their files (services.import_files), steps on a worker thread."""

    def __init__(self, db: Database, writer: Writer, files: ImportFiles) -> None:
        self._db = db
        self._writer = writer
        self.files = files
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="meterhub-import")
        self._stopping = threading.Event()
        self._recover()

    def uploaded(self, import_id: int, size: int) -> None:
        """Take a complete upload to meterhub's own endpoint as the import's file."""
        assert isinstance(self.files, LocalFiles)
        with self._db.writer.begin() as conn:
            found = imports.get(conn, import_id)
            if found.status in (VALIDATING, INGESTING, DONE):
                self.files.partial(import_id).unlink(missing_ok=True)
                raise Conflict(f"The import is {found.status}; its file can no longer be replaced.")
            self.files.take(import_id)
            self._mark_uploaded(conn, import_id, size)

    def current(self, import_id: int) -> Import:
        """The import; one still waiting for a file that has arrived in S3 becomes `uploaded`."""
        with self._db.reader.connect() as conn:
            found = imports.get(conn, import_id)
        if found.status != STORED or isinstance(self.files, LocalFiles):
            return found
        size = self.files.size(import_id)  # the client PUT it straight to the bucket
        if size is None:
            return found
        with self._db.writer.begin() as conn:
            self._mark_uploaded(conn, import_id, size)
            return imports.get(conn, import_id)

    def validate(self, import_id: int, who: Principal) -> Import:
        """Start checking the file; the import says how it went."""
        self.current(import_id)
        return self._start(import_id, who, (UPLOADED, INVALID, READY, FAILED), VALIDATING, self._check)

    def ingest(self, import_id: int, who: Principal) -> Import:
        """Start storing the checked file's values (or go on after an interruption)."""
        return self._start(import_id, who, (READY, FAILED), INGESTING, self._ingest)

    def delete(self, import_id: int) -> None:
        """Forget an import and its file."""
        with self._db.writer.begin() as conn:
            found = imports.get(conn, import_id)
            if found.status in (VALIDATING, INGESTING):
                raise Conflict(f"The import is {found.status}; delete it when that has finished.")
            imports.remove(conn, import_id)
        self.files.delete(import_id)

    def close(self) -> None:
        """Stop after the running step's current chunk (it says where it stopped), then close."""
        self._stopping.set()
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _start(
        self,
        import_id: int,
        who: Principal,
        allowed: tuple[str, ...],
        status: str,
        step: Callable[[int, Principal], None],
    ) -> Import:
        with self._db.writer.begin() as conn:
            found = imports.get(conn, import_id)
            if found.status not in allowed:
                raise Conflict(_order(found.status, status))
            done = found.done if status == INGESTING and found.status == FAILED else 0
            total = (found.rows or 0) if status == INGESTING else (found.file_bytes or 0)
            imports.set_state(conn, import_id, status, done=done, total=total, message=None)
            started = imports.get(conn, import_id)
        self._worker.submit(step, import_id, who)
        return started

    def _check(self, import_id: int, who: Principal) -> None:
        step = _Progress(self._db, import_id, self._stopping)
        try:
            with self.files.open(import_id) as source, self._db.reader.connect() as conn:

                def stored(stream_id: int, lo: int, hi: int) -> dict[int, Value]:
                    family = resolved[stream_id].datatype.family
                    return dict(writes.stored_points(conn, stream_id, lo, hi, family))

                resolved: dict[int, Datastream] = {}
                resolve = _resolver(conn, who, resolved)
                report = csv_import.check(
                    source, resolve, stored, window=self._writer.window, progress=step.bytes
                )
        except _Stopping:
            self._end(import_id, UPLOADED, message=_CUT_CHECK)
            return
        except csv_import.Unreadable as exc:
            _log_invalid(import_id, who, 1, str(exc))
            self._end(
                import_id, INVALID, rows=None, error_count=1, errors=[_whole(str(exc))], message=str(exc)
            )
            return
        except Exception as exc:
            log.exception("validating import %s failed", import_id)
            self._end(import_id, FAILED, message=f"Validation stopped: {exc}. Validate again.")
            return
        # A checked file shows its rows, all checked: its progress in bytes served only while it ran.
        checked = {"rows": report.rows, "values": report.values, "done": report.rows, "total": report.rows}
        if report.ok:
            self._end(import_id, READY, **checked, error_count=0, errors=[])
            return
        _log_invalid(import_id, who, report.problem_count, str(report.problems[0]))
        self._end(
            import_id,
            INVALID,
            **checked,
            error_count=report.problem_count,
            errors=[p.as_dict() for p in report.problems],
            message=f"{report.problem_count} problem(s) found; nothing was imported. Fix the file, "
            "upload it again and validate.",
        )

    def _ingest(self, import_id: int, who: Principal) -> None:
        with self._db.reader.connect() as conn:
            found = imports.get(conn, import_id)
        step = _Progress(self._db, import_id, self._stopping, start=found.done)
        done = found.done
        try:
            with self.files.open(import_id) as source, self._db.reader.connect() as conn:
                columns = _columns(conn, source, who)
            with self.files.open(import_id) as source:
                for done, batch in csv_import.point_rows(source, columns, skip_rows=found.done):
                    outcome = self._writer.write(batch)
                    if outcome.clashes:
                        clash = outcome.clashes[0]
                        raise Conflict(
                            f"datastream {clash.stream_id} got a different value at {clash.ts} ms since the "
                            "file was validated"
                        )
                    step.rows(done)
        except Exception as exc:
            if not isinstance(exc, _Stopping):
                log.warning(
                    "ingesting import %s of user %s stopped after row %s of %s: %s",
                    import_id,
                    who.user_id,
                    step.last,
                    found.rows,
                    exc,
                )
            self._end(
                import_id,
                FAILED,
                done=step.last,
                message=f"Ingest stopped after row {step.last} of {found.rows}: {exc}. "
                "PUT ingest again to go on from there.",
            )
            return
        self._end(import_id, DONE, done=done, message=None)

    @staticmethod
    def _mark_uploaded(conn: Connection, import_id: int, size: int) -> None:
        imports.set_state(
            conn, import_id, UPLOADED, file_bytes=size, done=0, total=size, error_count=0, errors=[]
        )

    def _end(self, import_id: int, status: str, **changes: object) -> None:
        with self._db.writer.begin() as conn:
            imports.set_state(conn, import_id, status, **changes)

    def _recover(self) -> None:
        with self._db.writer.begin() as conn:
            for found in imports.interrupted(conn):
                if found.status == VALIDATING:
                    imports.set_state(conn, found.id, UPLOADED, message=_CUT_CHECK)
                else:
                    imports.set_state(
                        conn,
                        found.id,
                        FAILED,
                        message=f"Ingest was cut off by a restart after row {found.done} of {found.rows}; "
                        "PUT ingest again to go on from there.",
                    )


def create_import(platform: Platform, *, caller: Principal, name: str) -> Import:
    """A new import of the caller's, `stored`, waiting for its file."""
    with platform.db.writer.begin() as conn:
        return imports.create(conn, user_id=caller.user_id, credential_id=caller.credential_id, name=name)


def import_state(platform: Platform, *, caller: Principal, import_id: int) -> Import:
    """One of the caller's imports: its status, progress and problems. Another user's is answered
    as an unknown one, so that their ids cannot be probed."""
    try:
        found = platform.imports.current(import_id)
    except MeterhubError as exc:
        raise NotFound(str(exc)) from None
    if found.user_id != caller.user_id:
        raise NotFound(f"No import with id {import_id}.")
    return found


def delete_import(platform: Platform, *, caller: Principal, import_id: int) -> None:
    """Forget one of the caller's imports and its file (not the values it stored)."""
    import_state(platform, caller=caller, import_id=import_id)
    platform.imports.delete(import_id)


def upload_url(platform: Platform, *, caller: Principal, import_id: int, base_url: str) -> str:
    """Where to PUT the file of one of the caller's imports: this server's own signed URL, or a
    presigned S3 one."""
    import_state(platform, caller=caller, import_id=import_id)
    return platform.imports.files.upload_url(
        import_id, base_url=base_url, expires_s=platform.settings.upload_url_seconds
    )


async def receive_upload(
    platform: Platform,
    *,
    import_id: int,
    expires: str,
    signature: str,
    declared_bytes: int | None,
    body: AsyncIterator[bytes],
) -> int:
    """Take the file of an upload to this server's signed URL (no token: the signature is the
    permission), streamed to disk up to the server's limit; returns its size."""
    files = platform.imports.files
    if not isinstance(files, LocalFiles):
        raise NotFound("This server keeps import files in S3: PUT the file to the upload_url it gave.")
    if not files.signed(import_id, expires, signature):
        raise Forbidden(
            "The upload URL is expired or was altered; GET a new one from /api/v1/import/{id}/upload_url."
        )
    limit = platform.settings.import_max_bytes
    too_large = f"The file is larger than this server takes ({limit} bytes)."
    if declared_bytes is not None and declared_bytes > limit:
        raise TooLarge(too_large)
    target = files.partial(import_id)
    size = 0
    try:
        with target.open("wb") as out:
            async for chunk in body:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(too_large)
                out.write(chunk)
        platform.imports.uploaded(import_id, size)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


def validate_import(platform: Platform, *, caller: Principal, import_id: int) -> Import:
    """Start checking the file of one of the caller's imports (`validating`, then `ready` or `invalid`)."""
    import_state(platform, caller=caller, import_id=import_id)
    return platform.imports.validate(import_id, caller)


def ingest_import(platform: Platform, *, caller: Principal, import_id: int) -> Import:
    """Start storing the checked file's values (`ingesting`, then `done` or `failed`)."""
    import_state(platform, caller=caller, import_id=import_id)
    return platform.imports.ingest(import_id, caller)


class _Stopping(Exception):
    def __str__(self) -> str:
        return "the server is stopping"


class _Progress:
    """Records a step's progress (validation's now and then: each is a commit) and stops it when
    the server stops."""

    def __init__(self, db: Database, import_id: int, stopping: threading.Event, *, start: int = 0) -> None:
        self._db = db
        self._id = import_id
        self._stopping = stopping
        self.last = start
        self._told = 0

    def bytes(self, done: int) -> None:
        if self._stopping.is_set():
            raise _Stopping
        if done - self._told >= PROGRESS_EVERY_BYTES:
            self._tell(done)

    def rows(self, done: int) -> None:
        self.last = done
        self._tell(done)  # after each committed chunk: it is where a resumed ingest goes on
        if self._stopping.is_set():
            raise _Stopping

    def _tell(self, done: int) -> None:
        self._told = done
        with self._db.writer.begin() as conn:
            imports.set_progress(conn, self._id, done)


def _resolver(conn: Connection, who: Principal, resolved: dict[int, Datastream]) -> csv_import.Resolver:
    """Header cell -> the datastream it names, if the token may write to it."""
    licensed = sorted(who.datasets) if who.datasets is not None else None

    def resolve(cell: str) -> Column | str:
        if not cell:
            return "is empty; name a datastream by its id or topic"
        found: Datastream | None = None
        if cell.isdigit():
            hits = datasets.get_streams(conn, [int(cell)])
            found = hits[0] if hits else None
        else:
            found = datasets.streams_by_topic(conn, [cell]).get(cell)
            if found is None and licensed is not None and len(licensed) == 1:
                # A suffix within the token's one dataset.
                prefix = datasets.get_dataset(conn, licensed[0]).topic_prefix
                found = datasets.streams_by_topic(conn, [f"{prefix}/{cell}"]).get(f"{prefix}/{cell}")
        if found is None:
            return f"`{cell[:60]}` names no datastream (give its id, or its topic prefix/suffix)"
        try:
            require_dataset(who, site_id=found.site_id, dataset_id=found.dataset_id, needed=Access.WRITE)
        except Forbidden:
            return f"this token may not write to datastream {found.id} ({found.topic})"
        resolved[found.id] = found
        return Column(found.id, found.datatype, found.decimals)

    return resolve


def _columns(conn: Connection, source: BinaryIO, who: Principal) -> list[Column]:
    report = csv_import.Report()
    columns = csv_import.header_columns(source, _resolver(conn, who, {}), report)
    if not report.ok:
        raise Conflict(f"the header no longer checks out: {report.problems[0].message}")
    return columns


def _log_invalid(import_id: int, who: Principal, count: int, first: str) -> None:
    log.warning(
        "import %s of user %s is invalid, nothing of it imported: %d problem(s), the first: %s",
        import_id,
        who.user_id,
        count,
        first,
    )


def _whole(message: str) -> dict[str, object]:
    return {"row": None, "column": None, "message": message}


def _order(status: str, wanted: str) -> str:
    if status == STORED:
        return "Upload the file first (GET upload_url, then PUT the file to it)."
    if wanted == INGESTING and status in (UPLOADED, INVALID):
        return f"The import is {status}: validate it first; only a valid file is ingested."
    if status == DONE:
        return "The import is done: its values are stored. Create a new import for more."
    return f"The import is {status}; wait until that has finished."
