"""The migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from meterhub.platform import Platform
from meterhub.store.tables import metadata


def test_the_migrated_database_matches_the_declared_tables(platform: Platform) -> None:
    with platform.db.reader.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
