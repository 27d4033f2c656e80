"""sites' address, location and tags; devices (one for each meter) and the streams they report

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _site_columns() -> list[sa.Column[object]]:
    # Made anew each time: a column joins the table it is added to, and a process may upgrade twice.
    return [
        sa.Column("address", sa.String(length=400), server_default="", nullable=False),
        sa.Column("latitude", sa.Float(precision=53), nullable=True),
        sa.Column("longitude", sa.Float(precision=53), nullable=True),
        sa.Column("tags", sa.Text(), server_default="[]", nullable=False),
    ]


def upgrade() -> None:
    # Existing sites get no address, location or tags: nothing told meterhub where they are. Plain
    # ALTER TABLE, never SQLite's batch copy: dropping the old sites table would cascade to every row
    # of every site.
    for column in _site_columns():
        op.add_column("sites", column)
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("instance", sa.Integer(), nullable=True),
        sa.Column("identifier", sa.String(length=96), nullable=False),
        sa.Column("firmware_version", sa.String(length=64), nullable=False),
        sa.Column("last_contact_ms", sa.BigInteger(), nullable=True),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_devices_meter_id_meters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_devices_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("meter_id", name=op.f("uq_devices_meter_id")),
    )
    op.create_index(op.f("ix_devices_site_id"), "devices", ["site_id"])
    op.create_table(
        "device_streams",
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_streams_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["datastreams.id"],
            name=op.f("fk_device_streams_stream_id_datastreams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_device_streams")),
    )
    op.create_index(op.f("ix_device_streams_device_id"), "device_streams", ["device_id"])
    # Every meter is a device of the site, as the new ones are made: its equipment id identifies it (its
    # make and firmware are unknown); its streams stay the meter's.
    op.execute(
        "INSERT INTO devices (site_id, kind, product_name, instance, identifier, firmware_version, meter_id, "
        "created_ms) SELECT site_id, 'meter', '', NULL, equipment_id, '', id, created_ms FROM meters "
        "ORDER BY id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_device_streams_device_id"), table_name="device_streams")
    op.drop_table("device_streams")
    op.drop_index(op.f("ix_devices_site_id"), table_name="devices")
    op.drop_table("devices")
    for column in reversed(_site_columns()):
        op.drop_column("sites", column.name)
