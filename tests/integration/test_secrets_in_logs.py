"""What the database is sent (key digests, emails) stays out of error messages and logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import exc, text

from meterhub.platform import Platform


def test_a_failed_statement_does_not_show_its_parameters(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    digest = "d" * 64
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    with pytest.raises(exc.DBAPIError) as failed, platform.db.writer.begin() as conn:
        conn.execute(text("INSERT INTO no_such_table (digest) VALUES (:digest)"), {"digest": digest})
    assert digest not in str(failed.value) and digest not in caplog.text
