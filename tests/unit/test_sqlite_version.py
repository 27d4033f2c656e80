"""meterhub needs SQLite 3.35 (INSERT … RETURNING): an older one is refused at once with what to do,
not by the first insert's syntax error."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterhub.core.errors import Unavailable
from meterhub.store import db


def test_an_sqlite_older_than_needed_is_refused_saying_what_to_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(db, "SQLITE_AT_LEAST", (99, 0))
    with pytest.raises(Unavailable, match=r"needs 99\.0 or newer .* PostgreSQL with METERHUB_DATABASE_URL"):
        db.open_engine(f"sqlite:///{tmp_path / 'meterhub.sqlite3'}")
    assert not (tmp_path / "meterhub.sqlite3").exists()
