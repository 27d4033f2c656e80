"""The running parts every face shares: database, writer, live feed, meter registry and batch imports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from meterhub.auth.login_limits import LoginLimits
from meterhub.auth.rate_limits import RateLimits
from meterhub.auth.sessions import Sessions
from meterhub.auth.signing import server_key
from meterhub.config import Settings
from meterhub.core.entities import MessageErrors
from meterhub.core.log_limit import LimitedLog
from meterhub.ingest.live_feed import LiveFeed, RedisFeed
from meterhub.ingest.registry import Registry
from meterhub.ingest.writer import Writer
from meterhub.services.import_files import LocalFiles, S3Files
from meterhub.services.imports import Imports
from meterhub.store.db import Database

if TYPE_CHECKING:
    from meterhub.mqtt.broker_accounts import BrokerAccounts


class Platform:
    """What one meterhub process holds open; build one per app (tests build their own)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.resolved_database_url)
        self.db.migrate()
        # The instants points may have, on every way in.
        self.window = settings.window
        # Log lines of refusals a client may repeat thousands of times (bad MQTT messages, telegrams).
        self.limited_log = LimitedLog()
        # The points each commit stores, for MQTT subscribers (and whoever follows them live).
        self.feed = _live_feed(settings, self.limited_log)
        self.writer = Writer(
            self.db.writer, max_points=settings.writer_max_points, window=self.window, feed=self.feed
        )
        self.registry = Registry(self.db)
        self.secret = _secret(settings)
        # Request counts of every face (and failed logins), shared by several servers through Redis.
        self.rate_limits = RateLimits(settings.redis_url or "memory://")
        self.login_limits = LoginLimits(
            self.rate_limits,
            per_account=settings.login_failures_per_account,
            per_address=settings.login_failures_per_address,
        )
        self.sessions = Sessions(
            self.db,
            secret=self.secret,
            lifetime_s=settings.session_seconds,
            remember_s=settings.session_remember_seconds,
            login_limits=self.login_limits,
            rate_limits=self.rate_limits,
            logins_per_address=settings.session_logins_per_address,
        )
        files = (
            S3Files(settings.import_storage, endpoint_url=settings.s3_endpoint_url)
            if settings.import_storage
            else LocalFiles(settings.data_dir / "imports", self.secret)
        )
        self.imports = Imports(self.db, self.writer, files)
        # Dataset id -> the MQTT messages refused since the server started (shown by the
        # management API).
        self.message_errors: dict[int, MessageErrors] = {}
        # With an external broker (METERHUB_MQTT_URL): its accounts, told of new tokens and of
        # changes to who may use which dataset.
        self.broker_accounts: BrokerAccounts | None = None

    def close(self) -> None:
        """Finish queued writes, pass their points on, and close the database."""
        self.imports.close()
        self.writer.close()
        self.feed.close()
        self.db.dispose()


def _live_feed(settings: Settings, limited_log: LimitedLog) -> LiveFeed:
    """This process's live feed, or with METERHUB_REDIS_URL the deployment's."""
    if not settings.redis_url:
        return LiveFeed()
    return RedisFeed(
        settings.redis_url,
        channel=f"{settings.redis_prefix}:live-feed",
        # One Mosquitto serves every server's clients: what it delivered, all of them have.
        relay_delivered=not settings.mqtt_url,
        limited_log=limited_log,
    )


def _secret(settings: Settings) -> bytes:
    """The key that signs upload URLs and login sessions: configured, or made once in the data directory."""
    return (
        settings.secret_key.encode() if settings.secret_key else server_key(settings.data_dir / "secret.key")
    )
