"""A site's energy per quarter hour, local hour or day, with what was estimated across outages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime
from starlette.requests import Request

from meterhub.core.buckets import (
    DAY,
    HOUR,
    HOUR_MS,
    QUARTER,
    QUARTER_MS,
    day_of,
    day_start_ms,
    from_ms,
    to_ms,
)
from meterhub.core.errors import Invalid
from meterhub.faces.management.deps import RESPONSES, Caller
from meterhub.faces.management.models import EnergyOut, PeriodOut, SiteId, UsageOut
from meterhub.services import statistics
from meterhub.services.statistics import Period
from meterhub.web.app_state import platform

router = APIRouter(prefix="/api/meterhub/v1", tags=["meterhub: usage"], responses=RESPONSES)


class Level(StrEnum):
    quarter = "quarter"
    hour = "hour"
    day = "day"


LEVELS = {Level.quarter: QUARTER, Level.hour: HOUR, Level.day: DAY}
DEFAULT_SPAN = {
    Level.quarter: timedelta(days=1),
    Level.hour: timedelta(days=2),
    Level.day: timedelta(days=31),
}


@router.get(
    "/sites/{site_id}/usage",
    response_model=UsageOut,
    summary="A site's energy per quarter hour, local hour or day",
)
def site_usage(
    request: Request,
    who: Caller,
    site_id: SiteId,
    period: Level = Level.hour,
    start: Annotated[
        AwareDatetime | None, Query(description="from this instant (default: `end` less a span)")
    ] = None,
    end: Annotated[
        AwareDatetime | None, Query(description="to this instant, excluded (default: now)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> UsageOut:
    """The periods that start from `start` up to `end`, oldest first. Energy between two readings is
    spread over the periods it spans by time; where they were more than an hour apart the period is
    `estimated`, and `estimated_usage` says how much of it."""
    until = end or datetime.now(UTC)
    since = start or until - DEFAULT_SPAN[period]
    if since >= until:
        raise Invalid("start must come before end")
    level = LEVELS[period]
    site, total, page = statistics.site_usage(
        platform(request),
        caller=who,
        site_id=site_id,
        level=level,
        lo=to_ms(since),
        hi=to_ms(until) - 1,
        limit=limit,
        offset=offset,
    )
    return UsageOut(
        site_id=site.id,
        timezone=site.timezone,
        period=period.value,
        count=total,
        results=[_period(p, level, site.timezone) for p in page],
    )


def _period(p: Period, level: int, tz: str) -> PeriodOut:
    if level == DAY:
        end = day_start_ms(tz, day_of(tz, p.start_ms) + timedelta(days=1))
    else:
        end = p.start_ms + (QUARTER_MS if level == QUARTER else HOUR_MS)
    return PeriodOut(
        start=from_ms(p.start_ms, tz).isoformat(),
        end=from_ms(end, tz).isoformat(),
        usage=EnergyOut.of(p.usage),
        estimated=any(p.estimated[:4]) or bool(p.estimated.gas_dm3),
        estimated_usage=EnergyOut.of(p.estimated),
    )
