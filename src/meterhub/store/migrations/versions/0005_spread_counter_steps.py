"""counter steps spread over the quarters they span, the part from outages marked estimated

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from meterhub.store.rebuild import spread_outages

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, value in (("aggregates", sa.BigInteger()), ("aggregates_real", sa.Float(53))):
        with op.batch_alter_table(table) as t:
            t.add_column(sa.Column("estimated", value, nullable=False, server_default="0"))
    # An outage's energy sat in the quarter after it: spread it over the quarters it was used in.
    found = spread_outages(op.get_bind())
    if found:
        logging.getLogger("meterhub.store").info("spread %d counter steps over the quarters they span", found)


def downgrade() -> None:
    for table in ("aggregates", "aggregates_real"):
        with op.batch_alter_table(table) as t:
            t.drop_column("estimated")
