"""Group commit: one thread owns the write connection and commits what has queued up together.

Callers hand over a batch and wait for its commit, so a 201 or a PUBACK is only ever sent for
data that is on disk; many small batches share one transaction, which is what makes a thousand
telegrams a second cheap.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import Connection, Engine

from meterhub.core.errors import Invalid, NotFound, StorageFull
from meterhub.core.window import DEFAULT_WINDOW, TimeWindow
from meterhub.ingest.live_feed import LiveFeed
from meterhub.ingest.write_path import BatchOutcome, Clash, PointRow, write_batches
from meterhub.store import writes
from meterhub.store.db import is_storage_full
from meterhub.store.writes import StreamMeta

log = logging.getLogger(__name__)

# Work done in the same transaction as the points, after them (e.g. meter statistics).
Extra = Callable[[Connection], None]


class _Reply(Protocol):
    def set_result(self, result: BatchOutcome) -> None: ...

    def set_exception(self, exception: BaseException) -> None: ...


class _LoopReply:
    """Settles an asyncio future from the writer thread, straight on its event loop."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[BatchOutcome] = loop.create_future()

    def set_result(self, result: BatchOutcome) -> None:
        self.loop.call_soon_threadsafe(_settle, self.future, result, None)

    def set_exception(self, exception: BaseException) -> None:
        self.loop.call_soon_threadsafe(_settle, self.future, None, exception)


def _settle(
    future: asyncio.Future[BatchOutcome], result: BatchOutcome | None, error: BaseException | None
) -> None:
    if future.cancelled():  # the client went away; the write stands
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]


def _settle_all(settled: list[tuple[asyncio.Future[BatchOutcome], BatchOutcome]]) -> None:
    for future, result in settled:
        _settle(future, result, None)


@dataclass
class _Job:
    rows: Sequence[PointRow]
    extra: Extra | None
    reply: _Reply
    # Whether the live feed's subscribers here hear of the points (not those an MQTT broker of this
    # process delivers itself).
    feed: bool = True
    # Whether a point whose millisecond holds another value moves on to the next free one.
    move: bool = False
    # Whether points contradicting stored ones are left out and the rest stored (else: none is).
    keep: bool = False
    # The clashes left out so far, reported with the outcome of what was stored.
    left_out: tuple[Clash, ...] = ()


def _without(job: _Job, clashes: Sequence[Clash]) -> _Job:
    """The job again without the points that clashed, which its outcome will report."""
    out = {(c.stream_id, c.ts) for c in clashes}
    rows = [row for row in job.rows if (row[0], row[1]) not in out]
    return replace(job, rows=rows, left_out=(*job.left_out, *clashes))


_STOP = object()


class _Clashed(Exception):
    def __init__(self, refused: dict[int, BatchOutcome]) -> None:
        self.refused = refused


class Writer:
    """The single writer of points: submit() from any thread, or await store() on an event loop."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_points: int = 20_000,
        window: TimeWindow = DEFAULT_WINDOW,
        feed: LiveFeed | None = None,
    ) -> None:
        self._engine = engine
        self._max_points = max_points
        # The instants points may have; batches with a point outside are refused before they queue.
        self.window = window
        self._conn: Connection | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._meta: dict[int, StreamMeta] = {}
        # Told of each commit's newly stored points.
        self.feed = feed or LiveFeed()
        self._thread = threading.Thread(target=self._run, name="meterhub-writer", daemon=True)
        self._thread.start()

    def submit(
        self,
        rows: Sequence[PointRow],
        extra: Extra | None = None,
        *,
        feed: bool = True,
        move: bool = False,
        keep: bool = False,
    ) -> Future[BatchOutcome]:
        """Queue a batch; the future resolves after its transaction committed. A batch with a
        point that contradicts a stored one is refused whole, unless `move=True` moves such a point
        on to the stream's next free millisecond (write_batches' `moving`) or `keep=True` leaves it
        out, keeping the stored value, and stores the rest (the outcome lists what was left out).
        `feed=False`: an MQTT broker of this process delivered its points itself, so the live feed
        tells none of its subscribers here again (RedisFeed passes them to the other servers')."""
        future: Future[BatchOutcome] = Future()
        if (outside := self._outside(rows)) is not None:
            future.set_exception(outside)
        else:
            self._queue.put(_Job(rows, extra, future, feed, move, keep))
        return future

    async def store(
        self,
        rows: Sequence[PointRow],
        extra: Extra | None = None,
        *,
        feed: bool = True,
        move: bool = False,
        keep: bool = False,
    ) -> BatchOutcome:
        """Queue a batch from the event loop and wait for its commit (cheaper than wrapping submit)."""
        if (outside := self._outside(rows)) is not None:
            raise outside
        reply = _LoopReply(asyncio.get_running_loop())
        self._queue.put(_Job(rows, extra, reply, feed, move, keep))
        return await reply.future

    def _outside(self, rows: Sequence[PointRow]) -> Invalid | None:
        """Why a batch is refused before it queues: a point stamped outside the window. Faces check
        the window themselves to name the field; this is what holds for every way in."""
        if not rows:
            return None
        problem = self.window.problem(min(row[1] for row in rows)) or self.window.problem(
            max(row[1] for row in rows)
        )
        return None if problem is None else Invalid(f"nothing was stored: {problem}")

    def write(
        self, rows: Sequence[PointRow], extra: Extra | None = None, *, move: bool = False
    ) -> BatchOutcome:
        """Write a batch and wait for its commit."""
        return self.submit(rows, extra, move=move).result()

    def forget(self, stream_ids: Sequence[int]) -> None:
        """Drop deleted streams from what the writer knows, so that writes to them are refused."""
        for sid in stream_ids:
            self._meta.pop(sid, None)

    def close(self) -> None:
        """Finish what is queued, then stop."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            jobs: list[_Job] = []
            size = 0
            stop = False
            while True:
                if isinstance(item, _Job):
                    jobs.append(item)
                    size += len(item.rows)
                else:
                    stop = True
                if size >= self._max_points or stop:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if jobs:
                self._commit(jobs)
            if stop:
                if self._conn is not None:
                    self._conn.close()
                return

    def _commit(self, jobs: list[_Job], moving: bool = False) -> None:
        runnable = [job for job in jobs if self._known(job)]
        if not runnable:
            return
        try:
            outcomes = self._transaction(runnable, moving)
        except _Clashed as clashed:
            # A batch is all or nothing: one that contradicts stored data is refused whole, unless
            # it may move, and goes again with its points moved on (only then, as that costs reads),
            # or may keep the stored values, and goes again without its clashing points.
            movers = set() if moving else {i for i in clashed.refused if runnable[i].move}
            again = set(movers)
            for i, outcome in clashed.refused.items():
                if runnable[i].keep:
                    runnable[i] = _without(runnable[i], outcome.clashes)
                    again.add(i)
                elif i not in movers:
                    runnable[i].reply.set_result(replace(outcome, stored=0))
            rest = [job for i, job in enumerate(runnable) if i not in clashed.refused or i in again]
            if rest:
                self._commit(rest, moving or bool(movers))
            return
        except Exception as exc:
            if isinstance(exc, StorageFull) or is_storage_full(exc):
                # Every batch would fail alike: one line, not a traceback per batch, on a full disk.
                log.error("the database cannot grow (disk full): %d write(s) refused", len(runnable))
                for job in runnable:
                    job.reply.set_exception(StorageFull())
                return
            if len(runnable) == 1:
                log.exception("write failed")
                runnable[0].reply.set_exception(_failure())
                return
            # One bad batch must not sink the others that shared its transaction.
            for job in runnable:
                self._commit([job], moving)
            return
        # One wake-up of each event loop per commit, however many of its requests it carried.
        waiting: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[BatchOutcome], BatchOutcome]]] = {}
        for job, found in zip(runnable, outcomes, strict=True):
            outcome = replace(found, clashes=[*job.left_out, *found.clashes]) if job.left_out else found
            if isinstance(job.reply, _LoopReply):
                waiting.setdefault(job.reply.loop, []).append((job.reply.future, outcome))
            else:
                job.reply.set_result(outcome)
        for loop, settled in waiting.items():
            loop.call_soon_threadsafe(_settle_all, settled)

    def _connection(self) -> Connection:
        # Held for the writer's life: a pool checkout (and PostgreSQL's ping) per commit costs more
        # than a small commit itself.
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn

    def _transaction(self, jobs: list[_Job], moving: bool) -> list[BatchOutcome]:
        conn = self._connection()
        fresh: list[PointRow] | None = [] if self.feed.wanted else None
        with conn.begin():
            outcomes = write_batches(
                conn,
                [job.rows for job in jobs],
                self._meta,
                fresh,
                [job.move for job in jobs] if moving else (),
            )
            refused = {i: outcome for i, outcome in enumerate(outcomes) if outcome.clashes}
            if refused:
                raise _Clashed(refused)
            for job in jobs:
                if job.extra is not None:
                    job.extra(conn)
        if fresh:
            self._publish(jobs, outcomes, fresh)
        return outcomes

    def _publish(self, jobs: list[_Job], outcomes: list[BatchOutcome], fresh: list[PointRow]) -> None:
        # A commit is mostly of one kind (telegrams, or an MQTT broker's messages): only a mixed one
        # is sorted point by point.
        if all(job.feed for job in jobs):
            self.feed.publish(fresh)
            return
        if not any(job.feed for job in jobs):
            self.feed.publish(fresh, delivered=True)
            return
        unfed = {(sid, ts) for job in jobs if not job.feed for sid, ts, _ in job.rows}
        unfed.update(
            (sid, ts)
            for job, outcome in zip(jobs, outcomes, strict=True)
            if not job.feed
            for sid, _, ts in outcome.moved
        )
        fed = [row for row in fresh if (row[0], row[1]) not in unfed]
        if fed:
            self.feed.publish(fed)
        if len(fed) < len(fresh):
            self.feed.publish([row for row in fresh if (row[0], row[1]) in unfed], delivered=True)

    def _known(self, job: _Job) -> bool:
        missing = {row[0] for row in job.rows if row[0] not in self._meta}
        if missing:
            with self._connection().begin() as transaction:
                self._meta.update(writes.stream_meta(transaction.connection, missing))
            unknown = missing - self._meta.keys()
            if unknown:
                job.reply.set_exception(NotFound(f"unknown datastream id(s): {sorted(unknown)}"))
                return False
        return True


def _failure() -> Exception:
    return RuntimeError("the database refused the write; nothing of this batch was stored")
