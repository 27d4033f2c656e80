"""A P1 telegram posted by a datalogger: parsed, checked and stored with the meter's statistics."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from meterhub.auth.access import Access, Principal
from meterhub.core.buckets import to_ms
from meterhub.core.errors import TelegramError
from meterhub.ingest import meters
from meterhub.ingest.telegram import parse_telegram
from meterhub.services import callers

if TYPE_CHECKING:
    from meterhub.platform import Platform

log = logging.getLogger(__name__)


async def store_telegram(platform: Platform, *, caller: Principal, site_id: int, text: str) -> int:
    """Store the telegram once it is on disk, and return how many of its values were left out for
    contradicting stored ones. A telegram that cannot be accepted is counted as rejected and
    raised as TelegramError.

    The datalogger drops a telegram it is refused, so one that clashes is stored without what
    contradicts stored values (the first value of an instant stays), and counted and logged.
    (Served by the fast lane a thousand times a second: nothing here waits on a thread or asks the
    database but the writer; the registry answers from memory once it has seen the meters.)"""
    callers.check(platform, caller=caller, site_id=site_id, needed=Access.WRITE)
    try:
        telegram = parse_telegram(text, now=datetime.now(UTC), window=platform.window)
    except TelegramError:
        await platform.writer.store([], meters.rejected(site_id))
        raise
    rows, extra = meters.telegram_rows(platform.registry, site_id=site_id, telegram=telegram)
    outcome = await platform.writer.store(rows, extra, keep=True)
    if outcome.clashes:
        await platform.writer.store([], meters.clashed(site_id, to_ms(datetime.now(UTC))))
        platform.limited_log.log(
            log,
            logging.WARNING,
            ("telegram clash", site_id),
            "a telegram for site %s was stored without %d value(s) that differ from stored ones: %s",
            site_id,
            len(outcome.clashes),
            _clash_hint(outcome.clashes[0].ts),
        )
    return len(outcome.clashes)


def _clash_hint(ts_ms: int) -> str:
    when = datetime.fromtimestamp(ts_ms / 1000, UTC).isoformat()
    return f"another reading for {when} was stored first and kept; is a second meter posting with this key?"
