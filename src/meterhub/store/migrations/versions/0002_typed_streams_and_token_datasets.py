"""typed datastreams (double and string values), datasets per API token

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _points(name: str, value: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        name,
        sa.Column("stream_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("v", value, nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "ts", name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    # Every stream so far is a meter quantity: a fixed-point number.
    op.add_column(
        "datastreams", sa.Column("datatype", sa.String(length=8), server_default="fixed", nullable=False)
    )
    _points("points_real", sa.Float(precision=53))
    _points("points_text", sa.Text())
    real = sa.Float(precision=53)
    op.create_table(
        "aggregates_real",
        sa.Column("stream_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_v", real, nullable=False),
        sa.Column("min_v", real, nullable=True),
        sa.Column("max_v", real, nullable=True),
        sa.Column("first_ts", sa.BigInteger(), nullable=True),
        sa.Column("first_v", real, nullable=True),
        sa.Column("last_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_v", real, nullable=True),
        sa.Column("delta", real, nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "level", "bucket", name=op.f("pk_aggregates_real")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("stream_state") as batch:
        batch.alter_column("first_v", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("last_v", existing_type=sa.BigInteger(), nullable=True)
    op.create_table(
        "credential_datasets",
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_datasets_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_credential_datasets_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", "dataset_id", name=op.f("pk_credential_datasets")),
    )


def downgrade() -> None:
    op.drop_table("credential_datasets")
    with op.batch_alter_table("stream_state") as batch:
        batch.alter_column("last_v", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("first_v", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("aggregates_real")
    op.drop_table("points_text")
    op.drop_table("points_real")
    op.drop_column("datastreams", "datatype")
