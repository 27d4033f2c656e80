"""The schema: every table meterhub keeps, for SQLite and PostgreSQL alike.

Times are integers (UTC milliseconds since the epoch, or a date's ordinal) so both databases
store and compare them the same way. Point values are integers in units of 10**-decimals of
their datastream, so sums of meter readings are exact.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from meterhub.core import limits

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(limits.EMAIL), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    # DSMR-reader's "allow API" switch, per site.
    Column("api_enabled", Boolean, nullable=False, default=True),
    Column("created_ms", BigInteger, nullable=False),
    # Where it is (VRM's installation, Climkit's site address): free text, and degrees (WGS 84).
    Column("address", String(400), nullable=False, default="", server_default=""),
    Column("latitude", Float(53)),
    Column("longitude", Float(53)),
    # Free-form labels (VRM's tags), a JSON list of strings: read and written with the site, whole.
    Column("tags", Text, nullable=False, default="[]", server_default="[]"),
)

site_members = Table(
    "site_members",
    metadata,
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("access", String(16), nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", String(limits.CREDENTIAL_NAME), nullable=False, default=""),
    # SHA-256 of the secret: keys are long random strings, so a fast hash is safe and lets the
    # lookup use an index; the final comparison is constant-time.
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("hint", String(8), nullable=False),
    Column("scopes", String(200), nullable=False),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE")),
    Column("expires_ms", BigInteger),
    Column("revoked_ms", BigInteger),
    Column("created_ms", BigInteger, nullable=False),
)

# Login sessions (auth/sessions.py): one row per signed session token issued and not yet signed out,
# looked up by its key on every use, so that signing out is at once refused by every server. The key
# is the SHA-256 of the token's random id (jti): the rows alone let no one present a token.
sessions = Table(
    "sessions",
    metadata,
    Column("jti_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)

meters = Table(
    "meters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("meter_type", String(16), nullable=False),
    # '' when the source names no equipment (readings posted as values).
    Column("equipment_id", String(96), nullable=False),
    Column("protocol", String(32), nullable=False, default=""),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("site_id", "meter_type", "equipment_id"),
)

# The equipment of a site that reports on itself (VRM's devices: gateway, inverter, battery monitor,
# solar charger, and each meter): what it is, its firmware and when it was last heard from. A meter's
# device is made with the meter and goes with it; its streams are the meter's.
devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("product_name", String(200), nullable=False, default=""),
    # The device's number among those of its kind at the site (VRM's instance).
    Column("instance", Integer),
    # Serial number or other identifier (a meter's equipment id).
    Column("identifier", String(96), nullable=False, default=""),
    Column("firmware_version", String(64), nullable=False, default=""),
    Column("last_contact_ms", BigInteger),
    Column("meter_id", ForeignKey("meters.id", ondelete="CASCADE"), unique=True),
    Column("created_ms", BigInteger, nullable=False),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("topic_prefix", String(limits.TOPIC_PREFIX), nullable=False, unique=True),
    Column("name", String(limits.DATASET_NAME), nullable=False),
)

# The datasets an API token may use (energydata.dk's licences); a token with none may use every
# dataset of the sites its owner can access.
credential_datasets = Table(
    "credential_datasets",
    metadata,
    Column("credential_id", ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
)

datastreams = Table(
    "datastreams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dataset_id", ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("meter_id", ForeignKey("meters.id", ondelete="CASCADE")),
    Column("topic_suffix", String(limits.TOPIC_SUFFIX), nullable=False),
    Column("role", String(32)),
    Column("kind", String(8), nullable=False),
    Column("unit", String(limits.UNIT), nullable=False),
    Column("decimals", SmallInteger, nullable=False),
    # What the values are (core.datatypes): `fixed` numbers are stored as integers in units of
    # 10**-decimals (meter readings), `double`s as floating point, `string`s as text.
    Column("datatype", String(8), nullable=False, server_default="fixed"),
    UniqueConstraint("dataset_id", "topic_suffix"),
    Index("ix_datastreams_meter_role", "meter_id", "role"),
)


# The device that reports a stream of no meter (a meter's device has the meter's streams).
device_streams = Table(
    "device_streams",
    metadata,
    Column("stream_id", ForeignKey("datastreams.id", ondelete="CASCADE"), primary_key=True),
    Column("device_id", ForeignKey("devices.id", ondelete="CASCADE"), nullable=False, index=True),
)


# The bulk of the data. WITHOUT ROWID keeps a point at ~22 bytes in SQLite; the (stream, ts)
# key also lets old ranges be compacted into per-stream blocks or distributed by stream later.
def _points(name: str, value: TypeEngine[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("stream_id", Integer, primary_key=True, autoincrement=False),
        Column("ts", BigInteger, primary_key=True, autoincrement=False),
        Column("v", value, nullable=False),
        sqlite_with_rowid=False,
    )


points = _points("points", BigInteger())
# Values of `double` and `string` streams (the same key, so the same write path and queries).
points_real = _points("points_real", Float(53))
points_text = _points("points_text", Text())

# Per-stream summary, kept with every write: tells the write path whether a batch only appends.
stream_state = Table(
    "stream_state",
    metadata,
    Column("stream_id", ForeignKey("datastreams.id", ondelete="CASCADE"), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("first_ts", BigInteger, nullable=False),
    # The values of integer-stored streams; NULL for double and string streams.
    Column("first_v", BigInteger),
    Column("last_ts", BigInteger, nullable=False),
    Column("last_v", BigInteger),
)


# Level 0: 15-minute UTC buckets; 1: local hours; 2: local days (bucket = UTC ms of the start).
def _aggregates(name: str, value: TypeEngine[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("stream_id", Integer, primary_key=True, autoincrement=False),
        Column("level", SmallInteger, primary_key=True, autoincrement=False),
        Column("bucket", BigInteger, primary_key=True, autoincrement=False),
        Column("n", Integer, nullable=False),
        Column("sum_v", value, nullable=False),
        Column("min_v", value),
        Column("max_v", value),
        Column("first_ts", BigInteger),
        Column("first_v", value),
        Column("last_ts", BigInteger),
        Column("last_v", value),
        Column("delta", value, nullable=False),
        # The part of delta spread from counter steps over an hour (a datalogger's outage).
        Column("estimated", value, nullable=False, server_default="0"),
        sqlite_with_rowid=False,
    )


aggregates = _aggregates("aggregates", BigInteger())
# The same buckets for `double` streams.
aggregates_real = _aggregates("aggregates_real", Float(53))

# What the meter said about itself last (DSMR-reader's MeterStatistics), one row per site.
meter_statistics = Table(
    "meter_statistics",
    metadata,
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("ts", BigInteger),
    Column("dsmr_version", String(64)),
    Column("electricity_tariff", Integer),
    Column("power_failure_count", Integer),
    Column("long_power_failure_count", Integer),
    Column("voltage_sag_count_l1", Integer),
    Column("voltage_sag_count_l2", Integer),
    Column("voltage_sag_count_l3", Integer),
    Column("voltage_swell_count_l1", Integer),
    Column("voltage_swell_count_l2", Integer),
    Column("voltage_swell_count_l3", Integer),
    Column("rejected_telegrams", Integer, nullable=False, default=0),
    Column("latest_telegram", Text),
    # Telegrams stored without values that contradicted stored ones, and when the last came.
    Column("clashed_telegrams", Integer, nullable=False, default=0, server_default="0"),
    Column("clashed_ms", BigInteger),
)

# Energy contracts; prices in millionths of a currency unit per kWh / m3 / day.
tariffs = Table(
    "tariffs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("start_day", Integer, nullable=False),
    Column("end_day", Integer, nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("import_t1_micro", BigInteger, nullable=False),
    Column("import_t2_micro", BigInteger, nullable=False),
    Column("export_t1_micro", BigInteger, nullable=False),
    Column("export_t2_micro", BigInteger, nullable=False),
    Column("gas_micro", BigInteger, nullable=False),
    Column("fixed_daily_micro", BigInteger, nullable=False),
)

# Day totals imported for days meterhub has no readings of (DSMR-reader's POST statistics/day).
# Energies in Wh / dm3, money in cents, temperatures in tenths of a degree.
imported_days = Table(
    "imported_days",
    metadata,
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Integer, primary_key=True, autoincrement=False),
    Column("import_t1_wh", BigInteger, nullable=False),
    Column("import_t2_wh", BigInteger, nullable=False),
    Column("export_t1_wh", BigInteger, nullable=False),
    Column("export_t2_wh", BigInteger, nullable=False),
    Column("import_t1_cents", BigInteger, nullable=False),
    Column("import_t2_cents", BigInteger, nullable=False),
    Column("gas_dm3", BigInteger),
    Column("gas_cents", BigInteger),
    Column("fixed_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("lowest_temperature_dc", Integer),
    Column("highest_temperature_dc", Integer),
    Column("average_temperature_dc", Integer),
    Column("first_positions", Text),
)

# Batch imports (energydata.dk): a CSV file uploaded, validated, then ingested in the background.
imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # The token that created it: its licences bound which datastreams the file may name.
    Column("credential_id", ForeignKey("credentials.id", ondelete="SET NULL")),
    Column("name", String(limits.IMPORT_NAME), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("file_bytes", BigInteger),
    # Work done of the current step, in bytes of the file (validating) or rows (ingesting).
    Column("done", BigInteger, nullable=False, default=0),
    Column("total", BigInteger, nullable=False, default=0),
    Column("rows", BigInteger),
    Column("values", BigInteger),
    Column("error_count", Integer, nullable=False, default=0),
    # JSON: the first problems found, each {row, column, message}; or the failure.
    Column("errors", Text),
    Column("message", Text),
)


def max_length(column: Column[Any]) -> int | None:
    """How many characters a text column holds (None: as many as given)."""
    return getattr(column.type, "length", None)
