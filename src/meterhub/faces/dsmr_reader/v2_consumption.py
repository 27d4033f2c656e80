"""API v2 consumption: per-minute electricity, gas, quarter-hour peaks, prices, today and live."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from meterhub.auth.access import Access
from meterhub.core.buckets import QUARTER_MS, day_of, to_ms
from meterhub.core.costs import Prices
from meterhub.core.listing import Span
from meterhub.faces.dsmr_reader import errors, locale, query
from meterhub.faces.dsmr_reader.deps import caller
from meterhub.faces.dsmr_reader.mapping import ALL_READING_FIELDS
from meterhub.faces.dsmr_reader.render import JSON, dec, moment, page
from meterhub.services import consumption, readings
from meterhub.web.app_state import platform

router = APIRouter(
    prefix="/api/v2/consumption", tags=["DSMR-reader API v2: consumption"], responses=errors.V2_RESPONSES
)

# ElectricityConsumption drops the "electricity_"/"phase_" prefixes of DsmrReading for some fields.
_CONSUMPTION_NAMES = {
    "electricity_delivered_1": "delivered_1",
    "electricity_returned_1": "returned_1",
    "electricity_delivered_2": "delivered_2",
    "electricity_returned_2": "returned_2",
    "electricity_currently_delivered": "currently_delivered",
    "electricity_currently_returned": "currently_returned",
}
_CONSUMPTION_FIELDS = [f for f in ALL_READING_FIELDS if f.wire in _CONSUMPTION_NAMES] + [
    f for f in ALL_READING_FIELDS if f.wire not in _CONSUMPTION_NAMES
]
TARIFF_NAMES = {1: "Low tariff", 2: "High tariff"}


@router.get(
    "/electricity",
    summary="Electricity consumption per minute",
    openapi_extra=query.documented(moments=("read_at",), ordering=("read_at",), exact=True),
)
def electricity(request: Request) -> JSON:
    """Readings grouped per minute, labelled with the minute's end (`read_at`)."""
    who = caller(request, version=2, needed=Access.READ)
    tz = who.site.timezone
    lo, hi = query.moment_range(request, "read_at", tz, exact=True)
    desc, _ = query.descending(request, "read_at")
    pg = query.page(request)
    count, rows = readings.list_minutes(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        span=Span(lo, hi, desc, pg.limit, pg.offset),
    )
    results = []
    for row in rows:
        item: dict[str, Any] = {"id": row.end_ms // 60_000, "read_at": moment(row.end_ms, tz)}
        for f in _CONSUMPTION_FIELDS:
            value = row.values.get(f.role)
            name = _CONSUMPTION_NAMES.get(f.wire, f.wire)
            if value is None:
                item[name] = dec(Decimal(0), f.decimals) if f.required else None
            else:
                item[name] = int(value) if f.integer else dec(value, f.decimals)
        results.append(item)
    return JSON(page(request.url, count=count, limit=pg.limit, offset=pg.offset, results=results))


@router.get(
    "/gas",
    summary="Gas consumption",
    openapi_extra=query.documented(moments=("read_at",), ordering=("read_at",), exact=True),
)
def gas(request: Request) -> JSON:
    """Gas meter positions and the usage since the previous one."""
    who = caller(request, version=2, needed=Access.READ)
    tz = who.site.timezone
    lo, hi = query.moment_range(request, "read_at", tz, exact=True)
    desc, _ = query.descending(request, "read_at")
    pg = query.page(request)
    count, rows = readings.list_gas(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        span=Span(lo, hi, desc, pg.limit, pg.offset),
    )
    results = [
        {
            "id": row.ts // 1000,
            "read_at": moment(row.read_at, tz),
            "delivered": dec(row.position, 3),
            "currently_delivered": dec(row.delta, 3),
        }
        for row in rows
    ]
    return JSON(page(request.url, count=count, limit=pg.limit, offset=pg.offset, results=results))


@router.get(
    "/quarter-hour-peak-electricity",
    summary="Average import power per quarter hour",
    openapi_extra=query.documented(
        moments=("read_at_start", "average_delivered"), ordering=("read_at_start", "average_delivered")
    ),
)
def quarter_hour_peaks(request: Request) -> JSON:
    """Quarter-hour averages of imported power (the Belgian capacity tariff's measure)."""
    who = caller(request, version=2, needed=Access.READ)
    tz = who.site.timezone
    lo, hi = query.moment_range(request, "read_at_start", tz, exact=False)
    # Upstream's average_delivered filters compare read_at_start; clients rely on that.
    lo2, hi2 = query.moment_range(request, "average_delivered", tz, exact=False)
    lo, hi = max(lo, lo2), min(hi, hi2)
    desc, field = query.descending(request, "read_at_start", also=("average_delivered",))
    pg = query.page(request)
    count, rows = consumption.quarter_peaks(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        span=Span(lo, hi, desc, pg.limit, pg.offset),
        by_average=field == "average_delivered",
    )
    results = [
        {
            "id": q.start_ms // QUARTER_MS,
            "read_at_start": moment(q.first_ms, tz),
            "read_at_end": moment(q.last_ms, tz),
            "average_delivered": dec(q.average_import_kw, 3),
        }
        for q in rows
    ]
    return JSON(page(request.url, count=count, limit=pg.limit, offset=pg.offset, results=results))


@router.get(
    "/energy-supplier-prices",
    summary="Energy contracts",
    openapi_extra=query.documented(days=("start", "end"), ordering=("start", "end")),
)
def energy_supplier_prices(request: Request) -> JSON:
    """The site's energy contracts with their prices."""
    who = caller(request, version=2, needed=Access.READ)
    first_start, last_start = query.day_range(request, "start", exact=False)
    first_end, last_end = query.day_range(request, "end", exact=False)
    desc, field = query.descending(request, "start", also=("end",))
    pg = query.page(request)
    found = consumption.energy_contracts(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        starts=(first_start, last_start),
        ends=(first_end, last_end),
        by_end=field == "end",
        descending=desc,
    )
    results = [
        {
            "id": c.id,
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
            "description": c.description,
            "electricity_delivered_1_price": dec(c.prices.import_t1, 6),
            "electricity_delivered_2_price": dec(c.prices.import_t2, 6),
            "gas_price": dec(c.prices.gas, 6),
            "electricity_returned_1_price": dec(c.prices.export_t1, 6),
            "electricity_returned_2_price": dec(c.prices.export_t2, 6),
            "fixed_daily_cost": dec(c.prices.fixed_daily, 6),
        }
        for c in found[pg.offset : pg.offset + pg.limit]
    ]
    return JSON(page(request.url, count=len(found), limit=pg.limit, offset=pg.offset, results=results))


@router.get("/today", summary="Today's consumption and costs so far")
def today(request: Request) -> JSON:
    """Today's totals in the site's time zone, as numbers."""
    who = caller(request, version=2, needed=Access.READ)
    now = datetime.now(UTC)
    figures = consumption.today(
        platform(request), caller=who.principal, site_id=who.site.id, now=now, timezone=who.site.timezone
    )
    if figures is None:
        day = day_of(who.site.timezone, to_ms(now))
        return JSON(f"No electricity readings found for: {day.isoformat()}")
    u, c = figures.usage, figures.costs
    prices = figures.prices or Prices()
    return JSON(
        {
            "day": figures.day.isoformat(),
            "electricity1": u.import_t1_wh / 1000,
            "electricity2": u.import_t2_wh / 1000,
            "electricity1_returned": u.export_t1_wh / 1000,
            "electricity2_returned": u.export_t2_wh / 1000,
            "electricity_merged": (u.import_t1_wh + u.import_t2_wh) / 1000,
            "electricity_returned_merged": (u.export_t1_wh + u.export_t2_wh) / 1000,
            "electricity1_cost": c.import_t1_cents / 100,
            "electricity2_cost": c.import_t2_cents / 100,
            "gas": (u.gas_dm3 or 0) / 1000,
            "gas_cost": (c.gas_cents or 0) / 100,
            "fixed_cost": c.fixed_cents / 100,
            "total_cost": c.total_cents / 100,
            "energy_supplier_price_electricity_delivered_1": float(prices.import_t1),
            "energy_supplier_price_electricity_delivered_2": float(prices.import_t2),
            "energy_supplier_price_electricity_returned_1": float(prices.export_t1),
            "energy_supplier_price_electricity_returned_2": float(prices.export_t2),
            "energy_supplier_price_gas": float(prices.gas),
            "energy_supplier_price_fixed_daily_cost": float(prices.fixed_daily),
        }
    )


@router.get("/electricity-live", summary="Current electricity usage")
def electricity_live(request: Request) -> JSON:
    """The latest reading's power in watts, and what it costs per hour at the current tariff."""
    who = caller(request, version=2, needed=Access.READ)
    live = consumption.live_electricity(
        platform(request),
        caller=who.principal,
        site_id=who.site.id,
        now=datetime.now(UTC),
        timezone=who.site.timezone,
    )
    if live is None:
        return JSON({})
    # Django's number_format, in the request's language (upstream's USE_L10N).
    cost = locale.number(locale.of(request), live.cost_per_hour) if live.cost_per_hour is not None else None
    return JSON(
        {
            "timestamp": moment(live.ts, who.site.timezone),
            "currently_delivered": int(live.import_kw * 1000),
            "currently_returned": int(live.export_kw * 1000),
            "cost_per_hour": cost,
            "tariff_name": TARIFF_NAMES.get(live.tariff) if live.tariff else None,
        }
    )


@router.get("/gas-live", summary="Latest gas usage")
def gas_live(request: Request) -> JSON:
    """The newest gas interval and, under a contract, what it cost."""
    who = caller(request, version=2, needed=Access.READ)
    tz = who.site.timezone
    p, now = platform(request), datetime.now(UTC)
    live = consumption.live_gas(p, caller=who.principal, site_id=who.site.id, now=now, timezone=tz)
    if live is None:
        return JSON({})
    out: dict[str, Any] = {
        "timestamp": moment(live.read_at, tz),
        "currently_delivered": float(live.delivered_m3),
    }
    if live.cost is not None:
        out["cost_per_interval"] = locale.number(locale.of(request), live.cost)
    return JSON(out)
