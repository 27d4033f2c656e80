"""Keeping an external MQTT broker's accounts in line with who may use which dataset."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from meterhub.core.errors import MeterhubError

if TYPE_CHECKING:
    from meterhub.platform import Platform

log = logging.getLogger(__name__)


def access_changed(platform: Platform) -> None:
    """Tell an external broker that who may use which dataset changed (the embedded broker asks the
    database itself). A broker out of reach catches up at its next round."""
    broker = platform.broker_accounts
    if broker is None:
        return
    try:
        broker.sync()
    except MeterhubError as exc:
        log.warning("the MQTT broker's accounts will catch up later: %s", exc)
