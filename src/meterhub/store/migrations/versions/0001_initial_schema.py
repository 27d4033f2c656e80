"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aggregates",
        sa.Column("stream_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_v", sa.BigInteger(), nullable=False),
        sa.Column("min_v", sa.BigInteger(), nullable=True),
        sa.Column("max_v", sa.BigInteger(), nullable=True),
        sa.Column("first_ts", sa.BigInteger(), nullable=True),
        sa.Column("first_v", sa.BigInteger(), nullable=True),
        sa.Column("last_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_v", sa.BigInteger(), nullable=True),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "level", "bucket", name=op.f("pk_aggregates")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "points",
        sa.Column("stream_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("v", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "ts", name=op.f("pk_points")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("api_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("expires_ms", sa.BigInteger(), nullable=True),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_credentials_site_id_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_credentials_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_credentials_secret_hash")),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("topic_prefix", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_datasets_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("topic_prefix", name=op.f("uq_datasets_topic_prefix")),
    )
    op.create_table(
        "imported_days",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("import_t1_wh", sa.BigInteger(), nullable=False),
        sa.Column("import_t2_wh", sa.BigInteger(), nullable=False),
        sa.Column("export_t1_wh", sa.BigInteger(), nullable=False),
        sa.Column("export_t2_wh", sa.BigInteger(), nullable=False),
        sa.Column("import_t1_cents", sa.BigInteger(), nullable=False),
        sa.Column("import_t2_cents", sa.BigInteger(), nullable=False),
        sa.Column("gas_dm3", sa.BigInteger(), nullable=True),
        sa.Column("gas_cents", sa.BigInteger(), nullable=True),
        sa.Column("fixed_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("lowest_temperature_dc", sa.Integer(), nullable=True),
        sa.Column("highest_temperature_dc", sa.Integer(), nullable=True),
        sa.Column("average_temperature_dc", sa.Integer(), nullable=True),
        sa.Column("first_positions", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_imported_days_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", "day", name=op.f("pk_imported_days")),
    )
    op.create_table(
        "meter_statistics",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=True),
        sa.Column("dsmr_version", sa.String(length=64), nullable=True),
        sa.Column("electricity_tariff", sa.Integer(), nullable=True),
        sa.Column("power_failure_count", sa.Integer(), nullable=True),
        sa.Column("long_power_failure_count", sa.Integer(), nullable=True),
        sa.Column("voltage_sag_count_l1", sa.Integer(), nullable=True),
        sa.Column("voltage_sag_count_l2", sa.Integer(), nullable=True),
        sa.Column("voltage_sag_count_l3", sa.Integer(), nullable=True),
        sa.Column("voltage_swell_count_l1", sa.Integer(), nullable=True),
        sa.Column("voltage_swell_count_l2", sa.Integer(), nullable=True),
        sa.Column("voltage_swell_count_l3", sa.Integer(), nullable=True),
        sa.Column("rejected_telegrams", sa.Integer(), nullable=False),
        sa.Column("latest_telegram", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_meter_statistics_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_meter_statistics")),
    )
    op.create_table(
        "meters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("meter_type", sa.String(length=16), nullable=False),
        sa.Column("equipment_id", sa.String(length=96), nullable=False),
        sa.Column("protocol", sa.String(length=32), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_meters_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meters")),
        sa.UniqueConstraint("site_id", "meter_type", "equipment_id", name=op.f("uq_meters_site_id")),
    )
    op.create_table(
        "site_members",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_members_site_id_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_site_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", "user_id", name=op.f("pk_site_members")),
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("import_t1_micro", sa.BigInteger(), nullable=False),
        sa.Column("import_t2_micro", sa.BigInteger(), nullable=False),
        sa.Column("export_t1_micro", sa.BigInteger(), nullable=False),
        sa.Column("export_t2_micro", sa.BigInteger(), nullable=False),
        sa.Column("gas_micro", sa.BigInteger(), nullable=False),
        sa.Column("fixed_daily_micro", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_tariffs_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
    )
    op.create_table(
        "datastreams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("topic_suffix", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("decimals", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_datastreams_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_datastreams_meter_id_meters"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datastreams")),
        sa.UniqueConstraint("dataset_id", "topic_suffix", name=op.f("uq_datastreams_dataset_id")),
    )
    with op.batch_alter_table("datastreams", schema=None) as batch_op:
        batch_op.create_index("ix_datastreams_meter_role", ["meter_id", "role"], unique=False)

    op.create_table(
        "stream_state",
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("first_ts", sa.BigInteger(), nullable=False),
        sa.Column("first_v", sa.BigInteger(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_v", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["datastreams.id"],
            name=op.f("fk_stream_state_stream_id_datastreams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_stream_state")),
    )


def downgrade() -> None:
    op.drop_table("stream_state")
    with op.batch_alter_table("datastreams", schema=None) as batch_op:
        batch_op.drop_index("ix_datastreams_meter_role")

    op.drop_table("datastreams")
    op.drop_table("tariffs")
    op.drop_table("site_members")
    op.drop_table("meters")
    op.drop_table("meter_statistics")
    op.drop_table("imported_days")
    op.drop_table("datasets")
    op.drop_table("credentials")
    op.drop_table("users")
    op.drop_table("sites")
    op.drop_table("points")
    op.drop_table("aggregates")
