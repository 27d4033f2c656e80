"""Shared fixtures: a database of each kind, and a real meterhub server on a loopback port."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, make_url, text

from meterhub.app import create_app
from meterhub.auth import keys
from meterhub.auth.passwords import hash_password
from meterhub.config import Settings
from meterhub.platform import Platform
from meterhub.store import accounts
from meterhub.store.db import Database
from meterhub.store.tables import metadata
from meterhub.web.server import config as server_config
from tests.stands_alone import AUDIT, REPOSITORY
from tests.waiting import eventually

# Copies of the upstream documents and captured telegrams the tests check against: see fixtures/README.md.
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@functools.cache
def _postgres_url() -> str:
    """METERHUB_TEST_POSTGRES_URL, else this checkout's own database (scripts/postgres makes it);
    under pytest-xdist each worker has a database of its own beside it, made on first use."""
    url = os.environ.get("METERHUB_TEST_POSTGRES_URL")
    if not url:
        made = subprocess.run([str(REPOSITORY / "scripts" / "postgres")], capture_output=True, text=True)
        if made.returncode:
            raise RuntimeError(
                f"scripts/postgres could not give a PostgreSQL database: {made.stderr.strip()}"
            )
        url = made.stdout.strip()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _database_beside(url, worker) if worker else url


def _database_beside(url: str, suffix: str) -> str:
    """The URL of the database named as url's with `_suffix`, created when missing."""
    base = make_url(url)
    own = base.set(database=f"{base.database}_{suffix}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")  # CREATE DATABASE runs outside one
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own.database})
            if exists.first() is None:
                conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


_sequences: list[str] | None = None  # the schema's, once it is made for this run


def _postgres_ready() -> str:
    """The PostgreSQL test database, emptied: made afresh (schema dropped, migrated) on the run's
    first use, then emptied table by table and its ids started again, far quicker than TRUNCATE."""
    global _sequences
    url = _postgres_url()
    db = Database(url)
    try:
        if _sequences is None:
            # Start every run from an empty schema: the database outlives test runs.
            with db.writer.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            db.migrate()
            with db.writer.begin() as conn:
                found = conn.execute(
                    text(
                        "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"
                    )
                )
                _sequences = [row[0] for row in found]
        with db.writer.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(text(f"DELETE FROM {table.name}"))
            for sequence in _sequences:
                conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
    except Exception as exc:  # the suite never skips storage tests: say how to get PostgreSQL
        raise RuntimeError(
            f"PostgreSQL is needed at {url} ({exc.__class__.__name__}); run scripts/test, "
            "which starts or installs it, or set METERHUB_TEST_POSTGRES_URL"
        ) from exc
    finally:
        db.dispose()
    return url


@functools.cache
def _redis_url() -> str:
    """METERHUB_TEST_REDIS_URL, else the Redis scripts/redis makes sure of."""
    url = os.environ.get("METERHUB_TEST_REDIS_URL")
    if not url:
        made = subprocess.run([str(REPOSITORY / "scripts" / "redis")], capture_output=True, text=True)
        if made.returncode:
            raise RuntimeError(f"scripts/redis could not give a Redis server: {made.stderr.strip()}")
        url = made.stdout.strip()
    return url


@dataclass
class RedisChannel:
    """A Redis server and a channel prefix of this test's own (the suite's workers share one Redis)."""

    url: str
    prefix: str

    @property
    def env(self) -> dict[str, str]:
        """A server's environment to feed through it."""
        return {"METERHUB_REDIS_URL": self.url, "METERHUB_REDIS_PREFIX": self.prefix}


@pytest.fixture
def redis_channel() -> RedisChannel:
    """A reachable Redis (the suite never skips its tests: it says how to get one) and a prefix."""
    url = _redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RuntimeError(
            f"Redis is needed at {url} ({exc}); run scripts/test, which starts or installs it, or set "
            "METERHUB_TEST_REDIS_URL"
        ) from exc
    finally:
        client.close()
    return RedisChannel(url, f"meterhub-test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test rather than migrated again (65 ms each)."""
    path = tmp_path_factory.mktemp("template") / "meterhub.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@pytest.fixture
def postgres_url() -> str:
    """A fresh, migrated PostgreSQL database, for tests that need that kind only."""
    return _postgres_ready()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated database of each kind."""
    if request.param == "sqlite":
        shutil.copy2(sqlite_template, tmp_path / "meterhub.sqlite3")
        return f"sqlite:///{tmp_path / 'meterhub.sqlite3'}"
    return _postgres_ready()


@pytest.fixture
def platform(database_url: str, tmp_path: Path) -> Iterator[Platform]:
    """A platform (database, writer, registry) on each kind of database."""
    p = Platform(Settings(data_dir=tmp_path, database_url=database_url))
    yield p
    p.close()


@dataclass
class Account:
    user_id: int
    site_id: int
    key: str


def make_account(
    p: Platform, *, email: str = "owner@example.org", timezone: str = "Europe/Amsterdam"
) -> Account:
    """A user with a site and an API key bound to it."""
    with p.db.writer.begin() as conn:
        user_id = accounts.add_user(conn, email=email, password_hash=hash_password("correct horse"))
        site_id = accounts.add_site(conn, name=f"site of {email}", timezone=timezone, owner_id=user_id)
        _, key = keys.issue_key(conn, user_id=user_id, site_id=site_id)
    return Account(user_id, site_id, key)


@pytest.fixture
def account(platform: Platform) -> Account:
    """The owner of a site in Europe/Amsterdam, with an API key."""
    return make_account(platform)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    platform: Platform
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, key: str | None = None) -> httpx.Client:
        """An HTTP client for the server, sending the key as X-AUTHKEY (closed after the test)."""
        headers = {"X-AUTHKEY": key} if key else {}
        self.clients.append(httpx.Client(base_url=self.url, headers=headers, timeout=30))
        return self.clients[-1]


@contextlib.contextmanager
def serving(app: FastAPI, platform: Platform) -> Iterator[Server]:
    """The app serving HTTP on a free loopback port (its lifespan is the caller's)."""
    port = _free_port()
    config = server_config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    eventually(lambda: srv.started, 10, what=f"the test server's start on port {port}")
    running = Server(f"http://127.0.0.1:{port}", platform)
    try:
        yield running
    finally:
        for client in running.clients:
            client.close()
        srv.should_exit = True
        thread.join(10)


@pytest.fixture
def server(platform: Platform) -> Iterator[Server]:
    """meterhub serving HTTP on a free loopback port."""
    with serving(create_app(platform.settings, platform), platform) as running:
        yield running


@functools.cache
def _redis_url() -> str:
    """METERHUB_TEST_REDIS_URL, else the server scripts/redis starts (installing it when missing)."""
    url = os.environ.get("METERHUB_TEST_REDIS_URL")
    if url:
        return url
    made = subprocess.run([str(REPOSITORY / "scripts" / "redis")], capture_output=True, text=True)
    if made.returncode:
        raise RuntimeError(f"scripts/redis could not give a Redis server: {made.stderr.strip()}")
    return made.stdout.strip()


@pytest.fixture
def redis_url() -> str:
    """A Redis server's URL (tests keep apart by their own key names, so runs may share it)."""
    return _redis_url()


def telegram(name: str) -> str:
    """A captured telegram from fixtures/telegrams, exactly as stored (latin-1)."""
    return (FIXTURES / "telegrams" / name).read_bytes().decode("latin-1")


@pytest.fixture(autouse=True)
def _stays_in_the_repository() -> Iterator[None]:
    """Fail the test that read outside the repository, even if something caught the error (under
    pytest-xdist the workers' own session status is not the run's)."""
    before = len(AUDIT.strays)
    yield
    if strays := AUDIT.strays[before:]:
        pytest.fail("opened outside the repository: " + ", ".join(path for _, path in strays), pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when a test read outside the repository, even if something caught the error."""
    if AUDIT.strays:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for test, path in AUDIT.strays:
        terminalreporter.write_line(f"outside the repository: {test} opened {path}", red=True)
