"""telegrams stored without the values that contradicted stored ones

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meter_statistics") as table:
        table.add_column(sa.Column("clashed_telegrams", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("clashed_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meter_statistics") as table:
        table.drop_column("clashed_ms")
        table.drop_column("clashed_telegrams")
