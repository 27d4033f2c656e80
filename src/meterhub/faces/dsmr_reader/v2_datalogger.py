"""API v2 datalogger: readings (list and create) and the meter's own statistics."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from meterhub.auth.access import Access
from meterhub.core.buckets import to_ms
from meterhub.core.errors import Conflict
from meterhub.core.listing import Span
from meterhub.faces.dsmr_reader import body, errors, locale, query, serialize
from meterhub.faces.dsmr_reader.deps import caller
from meterhub.faces.dsmr_reader.forms import Form, documented
from meterhub.faces.dsmr_reader.mapping import ALL_READING_FIELDS
from meterhub.faces.dsmr_reader.render import JSON, moment, page
from meterhub.services import readings
from meterhub.services.readings import STATISTICS_TEXT_LENGTHS, MeterStatistics
from meterhub.web.app_state import platform

router = APIRouter(
    prefix="/api/v2/datalogger", tags=["DSMR-reader API v2: datalogger"], responses=errors.V2_RESPONSES
)

STATISTICS_FIELDS = (
    "timestamp",
    "dsmr_version",
    "electricity_tariff",
    "power_failure_count",
    "long_power_failure_count",
    "voltage_sag_count_l1",
    "voltage_sag_count_l2",
    "voltage_sag_count_l3",
    "voltage_swell_count_l1",
    "voltage_swell_count_l2",
    "voltage_swell_count_l3",
    "rejected_telegrams",
    "latest_telegram",
)

# Upstream's model allows no null here: JSON's null is refused, a form's empty field ignored.
NOT_NULL = ("timestamp", "rejected_telegrams")


@router.get(
    "/dsmrreading",
    summary="List readings",
    openapi_extra=query.documented(moments=("timestamp",), ordering=("timestamp",), exact=True),
)
def list_readings(request: Request) -> JSON:
    """Readings, oldest first unless `ordering=-timestamp`, filtered on timestamp."""
    who = caller(request, version=2, needed=Access.READ)
    tz = who.site.timezone
    lo, hi = query.moment_range(request, "timestamp", tz, exact=True)
    desc, _ = query.descending(request, "timestamp")
    pg = query.page(request)
    count, found = readings.list_readings(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        span=Span(lo, hi, desc, pg.limit, pg.offset),
    )
    results = [serialize.reading(s, tz) for s in found]
    return JSON(page(request.url, count=count, limit=pg.limit, offset=pg.offset, results=results))


READING_BODY = {
    "timestamp": "date-time",
    **{f.wire: "integer" if f.integer else "number" for f in ALL_READING_FIELDS},
    "extra_device_timestamp": "date-time",
    "extra_device_delivered": "number",
}


@router.post(
    "/dsmrreading",
    status_code=201,
    summary="Create a reading from values",
    openapi_extra=documented(
        READING_BODY, ["timestamp", *(f.wire for f in ALL_READING_FIELDS if f.required)]
    ),
)
async def create_reading(request: Request) -> JSON:
    """Store a reading given as values; 201 with the reading as stored."""
    p = platform(request)
    # (the key's lookup is database work: in a thread, not on the event loop)
    who = await run_in_threadpool(caller, request, version=2, needed=Access.WRITE)
    tz = who.site.timezone
    form = Form(await body.v2_fields(request, p.settings.max_body_bytes), tz, p.window)
    timestamp = form.moment("timestamp", required=True)
    values: dict[str, Decimal] = {}
    for f in ALL_READING_FIELDS:
        if f.integer:
            number = form.integer(f.wire, low=0, high=999)
            value = Decimal(number) if number is not None else None
        else:
            digits = 4 if f.decimals == 1 else 9
            value = form.decimal(f.wire, digits=digits, places=f.decimals, required=f.required)
        if value is not None:
            values[f.role] = value
    gas_at = form.moment("extra_device_timestamp")
    gas = form.decimal("extra_device_delivered", digits=9, places=3)
    if form.problems:
        raise errors.field_errors(form.problems)
    assert timestamp is not None
    try:
        snapshot = await readings.store_reading(
            p,
            caller=who.principal,
            site_id=who.site.id,
            timestamp=timestamp,
            values=values,
            gas_at=gas_at,
            gas=gas,
        )
    except Conflict:
        clash = "A different reading with this timestamp is already stored; nothing was stored."
        raise errors.field_errors({"timestamp": [locale.say(form.language, clash)]}) from None
    return JSON(serialize.reading(snapshot, tz), status_code=201)


@router.get("/meter-statistics", summary="The meter's own statistics")
def get_statistics(request: Request) -> JSON:
    """What the meter last reported about itself."""
    who = caller(request, version=2, needed=Access.READ)
    found = readings.get_meter_statistics(platform(request), caller=who.principal, site_id=who.site.id)
    return JSON(_statistics(found, who.site.timezone))


@router.patch(
    "/meter-statistics",
    summary="Update the meter's statistics",
    openapi_extra=documented(
        {
            name: "date-time"
            if name == "timestamp"
            else "string"
            if name in ("dsmr_version", "latest_telegram")
            else "integer"
            for name in STATISTICS_FIELDS
        }
    ),
)
async def patch_statistics(request: Request) -> JSON:
    """Overwrite some of the statistics (for users who post values rather than telegrams)."""
    p = platform(request)
    # (the key's lookup is database work: in a thread, not on the event loop)
    who = await run_in_threadpool(caller, request, version=2, needed=Access.WRITE)
    form = Form(await body.v2_fields(request, p.settings.max_body_bytes), who.site.timezone, p.window)
    changes: dict[str, Any] = {}
    for name in STATISTICS_FIELDS:
        if name not in form.data:
            continue
        nullable = name not in NOT_NULL
        value: Any
        if name == "timestamp":
            at = form.moment(name, nullable=False)
            value = to_ms(at) if at else None
        elif name in ("dsmr_version", "latest_telegram"):
            value = form.text(name, max_length=STATISTICS_TEXT_LENGTHS[name])
        else:
            value = form.integer(name, low=0, high=2**31 - 1, nullable=nullable)
        # (a form's empty field is null where null is allowed, and leaves the value otherwise)
        if value is not None or nullable:
            changes["ts" if name == "timestamp" else name] = value
    if form.problems:
        raise errors.field_errors(form.problems)
    found = await run_in_threadpool(
        readings.patch_meter_statistics, p, caller=who.principal, site_id=who.site.id, changes=changes
    )
    return JSON(_statistics(found, who.site.timezone))


def _statistics(found: MeterStatistics, tz: str) -> dict[str, Any]:
    # Upstream's statistics are a singleton row, always id 1; a key sees one site, so one row too.
    out: dict[str, Any] = {"id": 1}
    for name in STATISTICS_FIELDS:
        out[name] = moment(found.ts, tz) if name == "timestamp" else getattr(found, name)
    return out
