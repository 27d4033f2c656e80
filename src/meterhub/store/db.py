"""Opening the database: engines tuned for SQLite (WAL, synchronous=FULL) or PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url

from meterhub.core.errors import StorageFull, Unavailable

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets API reads run while the writer commits; FULL makes every commit durable, since
    # a 201 tells the datalogger it may forget the telegram.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    # Checkpoint every ~40 MB of WAL rather than 4 MB: the pages a meter rewrites in every commit
    # (its newest points and buckets) are then copied into the database once, not ten times.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


# PostgreSQL's disk_full (class 53, insufficient resources).
_PG_DISK_FULL = "53100"


def is_storage_full(error: BaseException) -> bool:
    """Whether the database refused a write for want of room (also through SQLAlchemy's wrapper)."""
    error = getattr(error, "orig", None) or error
    return (
        getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or getattr(error, "sqlstate", None) == _PG_DISK_FULL
    )


def _storage_full(context: ExceptionContext) -> None:
    # A full disk is one domain error at the store's edge, whichever database says it: faces answer
    # 503 with Retry-After, MQTT leaves the message unacknowledged. (Writes on the driver's own
    # cursors, store.writes and store.raw, pass by this: the writer checks is_storage_full itself.)
    error = context.original_exception
    if is_storage_full(error):
        raise StorageFull() from error
    # SQLite rolls the whole transaction back on SQLITE_FULL, so undoing a savepoint after it fails
    # ("no such savepoint"): the full disk is still what went wrong.
    earlier = error.__context__
    for _ in range(5):
        if earlier is None or isinstance(earlier, StorageFull):
            break
        earlier = earlier.__context__
    if isinstance(earlier, StorageFull):
        raise earlier


def _manual_transactions(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    # On the driver itself: this runs for every group commit.
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE")


# New rows' ids come back by INSERT … RETURNING (SQLite 3.35, 2021); Debian 12's Python has 3.40.
SQLITE_AT_LEAST = (3, 35)


def open_engine(url: str, *, writer: bool = False) -> Engine:
    """An engine for the URL; SQLite files get their directory created and pragmas set.

    Parameters (key digests, emails, password hashes) never go into a log line or an error's text:
    SQLAlchemy would otherwise put them in every failed statement's message (hide_parameters).

    A writer engine's SQLite transactions start with BEGIN IMMEDIATE, so a second process that
    writes (the CLI while the server runs) waits its turn instead of failing mid-transaction.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if sqlite3.sqlite_version_info < SQLITE_AT_LEAST:
            raise Unavailable(
                f"this Python's SQLite is {sqlite3.sqlite_version}; meterhub needs "
                f"{'.'.join(map(str, SQLITE_AT_LEAST))} or newer (INSERT … RETURNING): use a newer Python, "
                "or PostgreSQL with METERHUB_DATABASE_URL"
            )
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _storage_full)
        if writer:
            event.listen(engine, "connect", _manual_transactions)
            event.listen(engine, "begin", _begin_immediate)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, "handle_error", _storage_full)
    return engine


def _private_file(path: Path) -> None:
    # The file holds password hashes and key digests: only its owner may read it, or its directory.
    # Made here, empty, before SQLite makes it; SQLite gives -wal and -shm the database's mode.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    path.chmod(0o600)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


class Database:
    """The two engines of one database: readers, and the writer that takes the write lock first."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.reader = open_engine(url)
        self.writer = open_engine(url, writer=True) if self.reader.dialect.name == "sqlite" else self.reader
        self.dialect = self.reader.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest revision."""
        migrate(self.writer)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.reader.dispose()
        self.writer.dispose()
