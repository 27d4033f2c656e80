"""The HTTP server's settings, shared by `meterhub serve` and the tests' server: slow clients are
closed, so that a few idle or trickling connections cannot hold the server's sockets, and each
request is one access line (uvicorn's own chatter stays at warnings), its credentials blanked."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from http import HTTPStatus
from typing import Any, Final

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A request's line and headers arrive within this many seconds of its connection or its first byte.
HEADERS_S: Final = 10.0
# An idle keep-alive connection is closed after this many seconds.
KEEP_ALIVE_S: Final = 5


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's protocol, closing a connection whose request headers do not arrive in time
    (uvicorn itself only limits the idle time between requests)."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(HEADERS_S, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


# Query parameters whose values are credentials: an upload URL's signature, and a key or token a
# client puts in the query string although it belongs in a header.
_SECRET_VALUE = re.compile(r"(?i)([?&][^=&]*(?:key|token|secret|password|signature|auth)[^=&]*=)[^&]*")


class AccessLine(logging.Formatter):
    """uvicorn's access record as one line, `2026-12-03 12:10:02 127.0.0.1:44904 "GET / HTTP/1.1" 200
    OK`, credentials in the query string blanked. Written here rather than by uvicorn's formatter,
    which copies each record twice: a line per telegram is on the hot path."""

    def format(self, record: logging.LogRecord) -> str:
        # uvicorn's access record: client, method, path with query, HTTP version, status.
        if not (isinstance(record.args, tuple) and len(record.args) == 5):
            return super().format(record)
        client, method, path, version, status = record.args
        shown = _SECRET_VALUE.sub(r"\1***", str(path))
        return f'{self.formatTime(record, self.datefmt)} {client} "{method} {shown} HTTP/{version}" {_status(status)}'


@functools.cache
def _status(code: object) -> str:
    try:
        return f"{code} {HTTPStatus(int(code)).phrase}"  # type: ignore[call-overload]
    except ValueError:
        return str(code)


LOGGING: Final = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"},
        "access": {"()": AccessLine, "datefmt": "%Y-%m-%d %H:%M:%S"},
    },
    "handlers": {
        "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        "access": {
            "formatter": "access",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def config(app: Any, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for meterhub's app (access_log=False: no access lines)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=HeaderDeadline,
        timeout_keep_alive=KEEP_ALIVE_S,
        log_config=LOGGING,
        **options,
    )
