"""Upstream's v2 views as DRF describes them, one row each in its URLconf's order: the view's name and
docstring, each method's action and operationId (upstream's DsmrReaderSchema), its serializer and its
filters. The OpenAPI document (schema.py) and OPTIONS (drf.metadata) are made from these rows."""

from __future__ import annotations

from dataclasses import dataclass

from meterhub.faces.dsmr_reader import docstrings as doc
from meterhub.faces.dsmr_reader import serializers as s

# A ViewSet's actions by what DRF's mixins call them; an APIView's methods are its own.
LIST, CREATE, RETRIEVE, PARTIAL_UPDATE = "list", "create", "retrieve", "partial_update"


@dataclass(frozen=True)
class View:
    path: str
    name: str  # DRF's view name: the class name without "View"/"ViewSet", its words spaced
    docstring: str
    operations: dict[str, tuple[str, str]]  # method -> (action, operationId)
    serializer: s.Serializer | None = None  # None for an APIView
    # The FilterSet's filters and their labels (an exact filter from Meta.fields is labelled with its
    # own name), in the order django-filter lists them.
    filters: tuple[tuple[str, str], ...] = ()


def _after_before(
    field: str, what: str, after: str = "after", before: str = "before"
) -> tuple[tuple[str, str], ...]:
    return (
        (f"{field}__gte", f"{what} must be {after} or equal to `X`"),
        (f"{field}__lte", f"{what} must be {before} or equal to `X`"),
    )


def _get(operation_id: str) -> dict[str, tuple[str, str]]:
    return {"GET": ("get", operation_id)}


def _list(operation_id: str) -> dict[str, tuple[str, str]]:
    return {"GET": (LIST, operation_id)}


_PEAK = "Quarter-hour peak consumption"
_CONSUMED_AT = _after_before("read_at", "Consumption timestamp")

VIEWS: tuple[View, ...] = (
    View(
        "/api/v2/datalogger/dsmrreading",
        "Dsmr Reading",
        doc.DSMR_READING,
        {"GET": (LIST, "DSMR readings: List"), "POST": (CREATE, "DSMR readings: Create")},
        s.DSMR_READING,
        (("timestamp", "timestamp"), *_after_before("timestamp", "Reading timestamp")),
    ),
    View(
        "/api/v2/datalogger/meter-statistics",
        "Meter Statistics",
        doc.METER_STATISTICS,
        {
            "GET": (RETRIEVE, "Meter statistics: Get"),
            "PATCH": (PARTIAL_UPDATE, "Meter statistics: Partial update"),
        },
        s.METER_STATISTICS,
    ),
    View(
        "/api/v2/consumption/energy-supplier-prices",
        "Energy Supplier Price",
        doc.ENERGY_SUPPLIER_PRICE,
        _list("Energy supplier prices: List"),
        s.ENERGY_SUPPLIER_PRICE,
        (*_after_before("start", "Contract start date"), *_after_before("end", "Contract end date")),
    ),
    View(
        "/api/v2/consumption/electricity",
        "Electricity Consumption",
        doc.ELECTRICITY_CONSUMPTION,
        _list("Electricity consumption: List"),
        s.ELECTRICITY_CONSUMPTION,
        (("read_at", "read_at"), *_CONSUMED_AT),
    ),
    View(
        "/api/v2/consumption/quarter-hour-peak-electricity",
        "Quarter Hour Peak Electricity Consumption",
        doc.QUARTER_HOUR_PEAK_ELECTRICITY_CONSUMPTION,
        _list("Quarter-hour peak electricity consumption: List"),
        s.QUARTER_HOUR_PEAK,
        (
            *_after_before("read_at_start", f"{_PEAK} start timestamp"),
            *_after_before("average_delivered", f"{_PEAK} average", "higher", "lower"),
        ),
    ),
    View(
        "/api/v2/consumption/electricity-live",
        "Electricity Live",
        doc.ELECTRICITY_LIVE,
        _get("Electricity consumption: Live"),
    ),
    View(
        "/api/v2/consumption/gas",
        "Gas Consumption",
        doc.GAS_CONSUMPTION,
        _list("Gas consumption: List"),
        s.GAS_CONSUMPTION,
        (("read_at", "read_at"), *_CONSUMED_AT),
    ),
    View("/api/v2/consumption/gas-live", "Gas Live", doc.GAS_LIVE, _get("Gas consumption: Live")),
    View(
        "/api/v2/consumption/today",
        "Today Consumption",
        doc.TODAY_CONSUMPTION,
        _get("Today's consumption: Get"),
    ),
    View(
        "/api/v2/statistics/day",
        "Day Statistics",
        doc.DAY_STATISTICS,
        {"GET": (LIST, "Day statistics: List"), "POST": (CREATE, "Day statistics: Create")},
        s.DAY_STATISTICS,
        (("day", "day"), *_after_before("day", "Date")),
    ),
    View(
        "/api/v2/statistics/hour",
        "Hour Statistics",
        doc.HOUR_STATISTICS,
        _list("Hour statistics: List"),
        s.HOUR_STATISTICS,
        (("hour_start", "hour_start"), *_after_before("hour_start", "Hour start")),
    ),
    View("/api/v2/application/version", "Version", doc.VERSION, _get("Application: Version")),
    View(
        "/api/v2/application/monitoring",
        "Monitoring Issues",
        doc.MONITORING_ISSUES,
        _get("Application: Monitoring"),
    ),
)

BY_PATH = {view.path: view for view in VIEWS}
