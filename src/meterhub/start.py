"""What `meterhub serve` makes sure of before it serves, and what it says once it does.

The data directory must be a directory this process can write (the other commands that use it
check that too); on the embedded SQLite default only one server may use it (`serve.lock`); and the
start lines say where everything is.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from meterhub.config import Settings
from meterhub.mqtt.dynsec import BrokerUrl

LOCK_FILE = "serve.lock"
_TRIES = 10
_HOW_TO_CHOOSE = "choose one with --data-dir or METERHUB_DATA_DIR"


class CannotStart(Exception):
    """A reason a command cannot start, with what to do about it; the message is one line."""


def check_data_dir(path: Path) -> None:
    """The data directory, created if missing, and proven writable by writing in it."""
    if path.exists() and not path.is_dir():
        raise CannotStart(f"the data directory {path} is a file, not a directory: {_HOW_TO_CHOOSE}")
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Permission bits do not say it all (root writes past them, a read-only mount refuses
        # everyone): writing a file does.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise CannotStart(
            f"the data directory {path} cannot be created or written ({exc.strerror}): {_HOW_TO_CHOOSE} "
            "that this user may write"
        ) from None


@dataclass(frozen=True)
class Holder:
    """The server holding a data directory's lock: its process id and URL (0 and "" if unsaid)."""

    pid: int
    url: str

    @property
    def who(self) -> str:
        """The holder as a sentence names it."""
        return f"meterhub (pid {self.pid})" if self.pid else "a meterhub server"


def hold_data_dir(data_dir: Path, url: str) -> IO[str]:
    """This process's exclusive hold on the data directory, kept while the returned file is open.

    Two servers on one SQLite file would each run a writer and an MQTT broker, and first-start the
    same database; the second is refused instead, naming the first. The lock is the kernel's (flock),
    so it ends with the process however that ends, and a stale file never blocks a start.
    """
    lock = (data_dir / LOCK_FILE).open("a+", encoding="utf-8")
    if not _take(lock):
        found = _holder_in(lock)
        lock.close()
        at = f" at {found.url}" if found.url else ""
        raise CannotStart(
            f"{found.who} is serving the data directory {data_dir}{at} already: stop it first, or give "
            "this one another data directory (--data-dir or METERHUB_DATA_DIR)"
        )
    lock.truncate(0)
    lock.write(f"{os.getpid()} {url}\n")
    lock.flush()
    return lock


def _take(lock: IO[str]) -> bool:
    # `holder` holds the lock shared for an instant: a server starting then waits that out.
    for _ in range(_TRIES):
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.02)
    return False


def holder(data_dir: Path) -> Holder | None:
    """The server serving the data directory now, or None when none does."""
    try:
        lock = (data_dir / LOCK_FILE).open(encoding="utf-8")
    except FileNotFoundError:
        return None
    with lock:
        try:
            # Shared and at once: a server holding it exclusively makes this fail.
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder_in(lock)
    return None


def _holder_in(lock: IO[str]) -> Holder:
    lock.seek(0)
    pid, _, url = lock.read().strip().partition(" ")
    return Holder(int(pid) if pid.isdigit() else 0, url)


def start_lines(settings: Settings) -> list[str]:
    """Where the server keeps its data and takes requests; the last line says it is serving."""
    database = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    return [
        f"  data      {settings.data_dir.resolve()}",
        f"  database  {database}",
        f"  MQTT      {_mqtt(settings)}",
        f"meterhub serving on {settings.local_url}",
    ]


def _mqtt(settings: Settings) -> str:
    if settings.mqtt_url:
        broker = BrokerUrl.parse(settings.mqtt_url)  # checked by then: serve has reached it
        return (
            f"the external broker at {broker.host}:{broker.port}{' (TLS)' * broker.tls} (METERHUB_MQTT_URL)"
        )
    if not settings.mqtt_port:
        return "off (METERHUB_MQTT_PORT=0)"
    said = f"{settings.host}:{settings.mqtt_port} (embedded broker)"
    if settings.mqtt_certfile and settings.mqtt_keyfile and settings.mqtt_tls_port:
        said += f", with TLS on {settings.host}:{settings.mqtt_tls_port}"
    return said
