"""Settings from the environment (METERHUB_*) or flags; one object passed into the app."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from meterhub.core.window import DEFAULT_EARLIEST, TimeWindow


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERHUB_")

    data_dir: Path = Path("data")
    # Empty means the embedded default: a SQLite file in data_dir.
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # A line per request on the server's output (credentials in query strings blanked).
    access_log: bool = True
    # Telegrams are ~1 kB; anything near this is not a telegram and is refused before parsing.
    max_body_bytes: int = 256 * 1024
    # Group commit: the writer takes what has queued up, at most this many points per transaction
    # (about 50 ms of writing: a telegram arriving meanwhile waits for that commit at most).
    writer_max_points: int = 20_000
    # Points stamped before this day (UTC) are refused on every way in, as are points more than
    # 24 hours after the server's clock.
    earliest_timestamp: date = DEFAULT_EARLIEST
    # Signs upload URLs. Empty: a random key kept in data_dir/secret.key (set it when several
    # servers share one database).
    secret_key: str = ""
    # Upload URLs are valid this long (energydata.dk's are valid two hours).
    upload_url_seconds: int = 7200
    # Largest batch import file.
    import_max_bytes: int = 20 * 1024**3
    # Where import files go: empty for data_dir/imports, or s3://bucket/prefix (S3-compatible
    # storage; credentials from the usual AWS_* variables, the endpoint below for MinIO and the like).
    import_storage: str = ""
    s3_endpoint_url: str = ""
    # The embedded MQTT broker (energydata.dk section 3); 0 switches it off. 1883 is MQTT's usual
    # port, and often taken by a system broker already: hence 1884 by default.
    mqtt_port: int = 1884
    # MQTT over TLS (the document's 8883) when a certificate and its key are given.
    mqtt_tls_port: int = 8883
    mqtt_certfile: str = ""
    mqtt_keyfile: str = ""
    # An external Mosquitto instead of the embedded broker: mqtt://ADMIN:PASSWORD@HOST:PORT, the
    # dynamic-security administrator (see the README). meterhub then ingests through a persistent
    # session with this client id; workers sharing the load give each their own id and one share
    # group name (a shared subscription).
    mqtt_url: str = ""
    mqtt_client_id: str = "meterhub-ingest"
    mqtt_share: str = ""

    # Failed logins (HTTP Basic) allowed per account and per client address before 429; `limits`
    # notation. Shared by several servers when redis_url is set.
    login_failures_per_account: str = "10/minute"
    login_failures_per_address: str = "30/minute"
    # Servers sharing a database share their live feed (ingest/live_feed.py), request counts
    # (auth/rate_limits.py) and login limits through this Redis (redis://…); empty: each server's are
    # its own.
    redis_url: str = ""
    # Names the live feed's Redis channel (PREFIX:live-feed): two deployments on one Redis give each
    # a prefix of its own.
    redis_prefix: str = "meterhub"

    # Login sessions (POST /api/meterhub/v1/sessions): a session token is good this long, or the
    # longer time when the login asks to be remembered.
    session_seconds: int = 3600
    session_remember_seconds: int = 30 * 86400
    # Logins for a session (right or wrong) per client address, in `limits` notation.
    session_logins_per_address: str = "20/minute"

    @property
    def window(self) -> TimeWindow:
        """The instants points may have."""
        return TimeWindow.from_day(self.earliest_timestamp)

    @property
    def local_url(self) -> str:
        """Where this machine reaches the HTTP server of these settings (a wildcard host: loopback)."""
        host = _WILDCARDS.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'meterhub.sqlite3').resolve()}"


# Listening on every address is reached from the same machine through loopback.
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


def server_url(given: str | None = None) -> str:
    """The server a client command talks to: the URL given, else METERHUB_URL, else this machine's
    server by the host and port settings `meterhub serve` listens by."""
    return (given or os.environ.get("METERHUB_URL") or Settings().local_url).rstrip("/")
