"""Upstream's view docstrings as DRF dedents them (`get_view_description`): OPTIONS' `description`
whole, and the OpenAPI document's operation descriptions section by section (`list:`, `create:` …).

Kept to the letter, the odd spacing of their line continuations too: clients show them as they are."""

from __future__ import annotations

DSMR_READING = """\
list:
Retrieves any readings stored. The readings are either constructed from incoming telegrams or were created using
this API.

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- ``limit`` / ``offset``: Pagination for iterating when having large result sets.
- ``ordering``: Order by either ``timestamp`` (ASC) or ``-timestamp`` (DESC).
- ``timestamp__gte`` / ``timestamp__lte``: Can be used for generic filtering the results     returned by reading timestamp with the given datetime as placeholder `X` below. Note the ``Y-m-d HH:MM:SS``     format for `X`, in the local timezone. **Should be changed to ISO 8601 some day, supporting timezone hints.**
- ⚠️ **Deprecated** ~``timestamp``: Reading timestamp must **exactly match** the given value (``Y-m-d HH:MM:SS``).~

### Changes
- Deprecated the ``timestamp`` query parameter in DSMR-reader v5.3, will be dropped completely in v6.x

### Request samples
```
// Fetching the latest reading created.
GET /api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1

// Get all readings of a specific "day", presuming that day is 15 January 2022.
GET /api/v2/datalogger/dsmrreading?timestamp__gte=2022-01-15 00:00:00&timestamp__lte=2022-01-15 23:59:59
```


create:
Creates a reading from separate values, omitting the need for the original telegram.

### Notes
- This requires you to **manually parse** any telegrams, e.g. when using ``dsmr_parser`` or a similar tool.
- Readings are processed *simultaneously* by the background process. So inserting readings retroactively *might*
cause undesired results due to side effects. *If your stats are not correctly after regenerating, see below,
try it again while having your datalogger disabled.*
- Inserting historic data might require you to **delete all aggregated data** as well, using:

```
sudo su - postgres
psql dsmrreader

truncate dsmr_consumption_electricityconsumption;
truncate dsmr_consumption_gasconsumption;
truncate dsmr_stats_daystatistics;
truncate dsmr_stats_hourstatistics;

// This query can take a long time!
update dsmr_datalogger_dsmrreading set processed = False;

// This will process all readings again, from the very first start, and aggregate them once more.
// It might take a long time, depending on your total reading count stored and hardware used.
```"""

METER_STATISTICS = """\
retrieve:
Retrieve meter statistics extracted by the datalogger. Also contains the latest telegram read for convenience.

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- Do **not use** ``ordering``, as it's a faulty query parameter that should not be there nor works at all!


partial_update:
Manually update any meter statistics fields.

### Notes
- Only use this when you're **not** using the built-in datalogger **nor** the v1 telegram API.     *It should auto-update otherwise!*"""

ENERGY_SUPPLIER_PRICE = """\
Retrieves the energy supplier prices (contracts).

### Notes
- These are the contracts manually entered in DSMR-reader's admin interface. Can be used for manual
calculations.

> *E.g. fetching any contracts active today, then fetch all day statistics filtered by the contract's start/end,
finally summing up the total consumption for that contract. Similar to DSMR-reader's GUI regarding contact totals.*

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- ``limit`` / ``offset``: Optional pagination. Probably not needed unless you have *a lot* of contracts.
- ``ordering``: Order by either ``start`` (ASC), ``-start`` (DESC), ``end`` (ASC) or ``-end`` (DESC).
- ``start__gte`` / ``start__lte`` / ``end__gte`` / ``end__lte``: Can be used for generic filtering the results     returned by contracts' start/end with the given date as placeholder `X` below. Note the ``Y-m-d`` format for `X`.

### Changes
- This endpoint was added in DSMR-reader v5.3

### Request samples
```
// Get the most recent contract, based on its start date.
GET /api/v2/consumption/energy-supplier-prices?ordering=-start&limit=1

// Get all contracts active/applying to "today", presuming "today" is 15 June 2022.
GET /api/v2/consumption/energy-supplier-prices?start__lte=2022-06-15&end__gte=2022-06-15
```"""

ELECTRICITY_CONSUMPTION = """\
Retrieves any data regarding electricity consumption. This is based on the readings processed.

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- ``limit`` / ``offset``: Pagination for iterating when having large result sets.
- ``ordering``: Order by either ``read_at`` (ASC) or ``-read_at`` (DESC).
- ``read_at__gte`` / ``read_at__lte``: Can be used for generic filtering the results     returned by consumption timestamp with the given datetime as placeholder `X` below. Note the ``Y-m-d HH:MM:SS``     format for `X`, in the local timezone. **Should be changed to ISO 8601 some day, supporting timezone hints.**
- ⚠️ **Deprecated** ~`read_at`: Consumption timestamp must **exactly match** the given value (``Y-m-d HH:MM:SS``).~

### Changes
- Deprecated the ``read_at`` query parameter in DSMR-reader v5.3, will be dropped completely in v6.x"""

QUARTER_HOUR_PEAK_ELECTRICITY_CONSUMPTION = """\
Retrieves any data regarding quarter-hour peak electricity consumption. This is based on the readings processed.

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- ``limit`` / ``offset``: Pagination for iterating when having large result sets.
- ``ordering``: Order by either ``read_at_start`` (ASC), ``-read_at_start`` (DESC), ``average_delivered`` (ASC) or     ``-average_delivered`` (DESC).
- ``read_at_start__gte`` / ``read_at_start__lte``: Can be used for generic filtering the results     returned by quarter-hour peak electricity START timestamp with the given datetime as placeholder `X` below.     Note the ``Y-m-d HH:MM:SS`` format for `X`, in the local timezone.     **Should be changed to ISO 8601 some day, supporting timezone hints.**
- ``average_delivered__gte`` / ``average_delivered__lte``: Can be used for generic filtering the results     returned by the average calculated (In kW)."""

ELECTRICITY_LIVE = (
    "Returns the live electricity consumption, containing the same data as the Dashboard header."
)

GAS_CONSUMPTION = """\
Retrieves any data regarding gas consumption. This is based on the readings processed.

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- ``limit`` / ``offset``: Pagination for iterating when having large result sets.
- ``ordering``: Order by either ``read_at`` (ASC) or ``-read_at`` (DESC).
- ``read_at__gte`` / ``read_at__lte``: Can be used for generic filtering the results     returned by consumption timestamp with the given datetime as placeholder `X` below. Note the ``Y-m-d HH:MM:SS``     format for `X`, in the local timezone. **Should be changed to ISO 8601 some day, supporting timezone hints.**
- ⚠️ **Deprecated** ~`read_at`: Consumption timestamp must **exactly match** the given value (``Y-m-d HH:MM:SS``).~

### Changes
- Deprecated the ``read_at`` query parameter in DSMR-reader v5.3, will be dropped completely in v6.x"""

GAS_LIVE = "Returns the latest gas consumption."

TODAY_CONSUMPTION = "Returns the consumption of the current day so far."

DAY_STATISTICS = """\
list:
Retrieves any aggregated day statistics, as displayed in the Archive.

### Notes
- These are automatically generated a few hours after midnight, based on the consumption data.

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- ``limit`` / ``offset``: Pagination for iterating when having large result sets.
- ``ordering``: Order by either ``day`` (ASC) or ``-day`` (DESC).
- ``day__gte`` / ``day__lte``: Can be used for generic filtering the results     returned by dates with the given date as placeholder `X` below.  ote the ``Y-m-d`` format for `X`.
- ⚠️ **Deprecated** ~`day`: Date must **exactly match** the given value (``Y-m-d HH:MM:SS``).~

### Changes
- Deprecated the ``day`` query parameter in DSMR-reader v5.3, will be dropped completely in v6.x


create:
Creates statistics for a day, overriding any DSMR-reader internals.

### Notes
- Should only be used to import historic data."""

HOUR_STATISTICS = """\
Retrieves any aggregated hour statistics, as displayed in the Archive.

### Notes
- These are automatically generated a few hours after midnight, based on the consumption data.

### Query parameters
- *Only mandatory when explicitly marked with the **required** label. Can be omitted otherwise.*
- ``limit`` / ``offset``: Pagination for iterating when having large result sets.
- ``ordering``: Order by either ``hour_start`` (ASC) or ``-hour_start`` (DESC).
- ``hour_start__gte`` / ``hour_start__lte``: Can be used for generic filtering the results     returned by hour start timestamp with the given datetime as placeholder `X` below. Note the ``Y-m-d HH:MM:SS``     format for `X`, in the local timezone. **Should be changed to ISO 8601 some day, supporting timezone hints.**
- ⚠️ **Deprecated** ~`hour_start`: Hour start timestamp must **exactly match** the given value (`Y-m-d HH:MM:SS`).~

### Changes
- Deprecated the ``hour_start`` query parameter in DSMR-reader v5.3, will be dropped completely in v6.x"""

VERSION = "Returns the version of DSMR-reader you are running."

MONITORING_ISSUES = (
    "Returns any monitoring issues found. Reflects the same (issue) data as displayed on the Status page."
)
