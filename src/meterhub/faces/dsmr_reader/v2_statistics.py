"""API v2 statistics: usage and costs per day (also importable) and per hour."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from meterhub.auth.access import Access
from meterhub.core.buckets import to_ms
from meterhub.core.costs import Costs, Usage
from meterhub.core.days import FirstPositions
from meterhub.core.errors import Conflict
from meterhub.core.listing import Span
from meterhub.faces.dsmr_reader import body, errors, locale, query, serialize
from meterhub.faces.dsmr_reader.deps import caller
from meterhub.faces.dsmr_reader.forms import Form, documented
from meterhub.faces.dsmr_reader.render import JSON, page
from meterhub.services import consumption
from meterhub.web.app_state import platform

router = APIRouter(
    prefix="/api/v2/statistics", tags=["DSMR-reader API v2: statistics"], responses=errors.V2_RESPONSES
)


@router.get(
    "/day",
    summary="Usage and costs per day",
    openapi_extra=query.documented(days=("day",), ordering=("day",), exact=True),
)
def list_days(request: Request) -> JSON:
    """Day statistics (the current day included, as far as it has gone), oldest first."""
    who = caller(request, version=2, needed=Access.READ)
    first, last = query.day_range(request, "day", exact=True)
    desc, _ = query.descending(request, "day")
    pg = query.page(request)
    count, days = consumption.day_statistics(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        first=first,
        last=last,
        descending=desc,
        limit=pg.limit,
        offset=pg.offset,
        timezone=who.site.timezone,
    )
    results = [serialize.day(d, who.site.timezone) for d in days]
    return JSON(page(request.url, count=count, limit=pg.limit, offset=pg.offset, results=results))


DAY_REQUIRED = (
    "day",
    "electricity1",
    "electricity2",
    "electricity1_returned",
    "electricity2_returned",
    "electricity1_cost",
    "electricity2_cost",
    "total_cost",
)
DAY_BODY = {
    "day": "date",
    **{name: "number" for name in DAY_REQUIRED[1:]},
    **{name: "number" for name in ("gas", "gas_cost", "fixed_cost")},
    **{f"{kind}_temperature": "number" for kind in ("lowest", "highest", "average")},
    "electricity_reading_timestamp": "date-time",
    "gas_reading_timestamp": "date-time",
    **{
        f"{name}_reading": "number"
        for name in ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")
    },
}


@router.post(
    "/day",
    status_code=201,
    summary="Import the statistics of a past day",
    openapi_extra=documented(DAY_BODY, DAY_REQUIRED),
)
async def create_day(request: Request) -> JSON:
    """Store a day's totals for a day meterhub has no readings of."""
    p = platform(request)
    # (the key's lookup is database work: in a thread, not on the event loop)
    who = await run_in_threadpool(caller, request, version=2, needed=Access.WRITE)
    tz = who.site.timezone
    form = Form(await body.v2_fields(request, p.settings.max_body_bytes), tz, p.window)
    day = form.day("day", required=True)

    def energy(name: str, required: bool = False) -> Decimal | None:
        return form.decimal(name, digits=9, places=3, required=required)

    def money(name: str, required: bool = False) -> Decimal | None:
        return form.decimal(name, digits=8, places=2, required=required)

    def temperature(name: str) -> Decimal | None:
        return form.decimal(name, digits=4, places=1)

    usage = [
        energy(n, True)
        for n in ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned")
    ]
    costs = [money("electricity1_cost", True), money("electricity2_cost", True)]
    gas, gas_cost = energy("gas"), money("gas_cost")
    fixed, total = money("fixed_cost"), money("total_cost", True)
    temps = (
        temperature("lowest_temperature"),
        temperature("highest_temperature"),
        temperature("average_temperature"),
    )
    e_ts, g_ts = form.moment("electricity_reading_timestamp"), form.moment("gas_reading_timestamp")
    readings = [
        energy(n)
        for n in (
            "electricity1_reading",
            "electricity2_reading",
            "electricity1_returned_reading",
            "electricity2_returned_reading",
            "gas_reading",
        )
    ]
    if form.problems:
        raise errors.field_errors(form.problems)
    assert day is not None and total is not None
    import_t1, import_t2, export_t1, export_t2 = (_given(v, 3) for v in usage)
    reading_t1, reading_t2, returned_t1, returned_t2, gas_reading = (_scaled(v, 3) for v in readings)
    try:
        figures = await run_in_threadpool(
            consumption.import_day,
            p,
            caller=who.principal,
            site_id=who.site.id,
            day=day,
            usage=Usage(import_t1, import_t2, export_t1, export_t2, gas_dm3=_scaled(gas, 3)),
            costs=Costs(
                _given(costs[0], 2),
                _given(costs[1], 2),
                _scaled(gas_cost, 2),
                _given(fixed or Decimal(0), 2),
                _given(total, 2),
            ),
            positions=FirstPositions(
                to_ms(e_ts) if e_ts else None,
                reading_t1,
                reading_t2,
                returned_t1,
                returned_t2,
                to_ms(g_ts) if g_ts else None,
                gas_reading,
            ),
            temperatures=temps,
            timezone=tz,
        )
    except Conflict:
        # DRF's unique-field message, built from the model's and the field's verbose names.
        raise errors.field_errors({"day": [_already_exists(form.language)]}) from None
    return JSON(serialize.day(figures, tz), status_code=201)


def _already_exists(language: str) -> str:
    model, field = (
        locale.say(language, name) for name in ("Day statistics (automatically generated data)", "Date")
    )
    return locale.say(
        language, "{model_name} with this {field_label} already exists.", model_name=model, field_label=field
    )


def _scaled(value: Decimal | None, places: int) -> int | None:
    # Validated to at most `places` decimals, so this is exact.
    return None if value is None else int(value.scaleb(places))


def _given(value: Decimal | None, places: int) -> int:
    # A required field's: form.problems has refused the request without it.
    assert value is not None
    return int(value.scaleb(places))


@router.get(
    "/hour",
    summary="Usage per hour",
    openapi_extra=query.documented(moments=("hour_start",), ordering=("hour_start",), exact=True),
)
def list_hours(request: Request) -> JSON:
    """Hour statistics on the site's local clock (23 or 25 of them on DST days), oldest first."""
    who = caller(request, version=2, needed=Access.READ)
    tz = who.site.timezone
    lo, hi = query.moment_range(request, "hour_start", tz, exact=True)
    desc, _ = query.descending(request, "hour_start")
    pg = query.page(request)
    count, hours = consumption.hour_statistics(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        span=Span(lo, hi, desc, pg.limit, pg.offset),
    )
    results: list[dict[str, Any]] = [serialize.hour(h, tz) for h in hours]
    return JSON(page(request.url, count=count, limit=pg.limit, offset=pg.offset, results=results))
