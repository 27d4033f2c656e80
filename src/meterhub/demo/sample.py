"""A telegram to try meterhub with, stamped now: `meterhub sample-telegram | curl …`.

`sample-telegram.txt` beside this module is the example telegram of the DSMR 5.0 P1 companion
standard (Netbeheer Nederland; an Iskra MT382), exactly as DSMR-reader's tests carry it
(dsmr_datalogger/tests/datalogger/test_example_dsmr50.py). Its clock says December 2010; the copy
handed out gets the current Dutch time in its clock lines and the CRC that then fits, so that the
reading lands today, where `/api/v2/consumption/today` shows it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from meterhub.ingest.crc import crc16_arc

SAMPLE = Path(__file__).with_name("sample-telegram.txt")
# Meters write their clock in Dutch local time, S (summer) or W (winter) after it.
_METER_ZONE = ZoneInfo("Europe/Amsterdam")
# The telegram's own time (0-0:1.0.0) and its gas meter's last reading's (0-1:24.2.1).
_CLOCKS = re.compile(r"^(0-0:1\.0\.0|0-1:24\.2\.1)\(\d{12}[SW]\)", re.MULTILINE)


def meter_time(at: datetime) -> str:
    """A tz-aware time as a meter writes it: `YYMMDDhhmmss` in Dutch time, then S or W."""
    local = at.astimezone(_METER_ZONE)
    return local.strftime("%y%m%d%H%M%S") + ("S" if local.dst() else "W")


def sample_telegram(now: datetime) -> str:
    """The sample telegram with its clocks at `now` (tz-aware) and its CRC recomputed."""
    stamp = meter_time(now)
    # Bytes as latin-1, not text: the telegram's CRLF line ends are part of what the CRC covers.
    body = SAMPLE.read_bytes().decode("latin-1").partition("!")[0] + "!"
    body = _CLOCKS.sub(lambda found: f"{found[1]}({stamp})", body)
    return f"{body}{crc16_arc(body.encode('latin-1')):04X}\r\n"
