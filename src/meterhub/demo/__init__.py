"""`meterhub demo`: a site holding a realistic year of a Dutch household's meter data.

Everything goes in through the one write path, as point rows of the streams the registry hands
out for each meter, so points are stored once and aggregates kept exactly as for real telegrams.
`household` makes each day's data without I/O; `run` sets up the site, writes the days and reports.
"""

from __future__ import annotations

from meterhub.demo.household import TIMEZONE
from meterhub.demo.run import DemoSummary, parse_interval, run_demo

__all__ = ["TIMEZONE", "DemoSummary", "parse_interval", "run_demo"]
