"""energydata.dk's batch CSV (section 4.1.2), read and checked cell by cell, then turned into point rows.

RFC 4180 quoting, UTF-8 (a byte-order mark is skipped), `;` or `,` between fields (the header
line decides). The first row names a datastream per column (its first cell is ignored); every
other row is a UTC time `YYYY-MM-DDTHH:mm:ss.SSSZ` followed by a value per datastream. An empty
field is "" for a string stream and no value for a number stream.

Checking reads the whole file and reports every problem with its row and column; only a file
without problems is ingested, a chunk of rows at a time.
"""

from __future__ import annotations

import csv
import io
import re
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from typing import Any, BinaryIO, Final, NamedTuple

from meterhub.core.datatypes import BadValue, Datatype, Value, column_values, from_text, scaled
from meterhub.core.window import TimeWindow
from meterhub.ingest.write_path import PointRow

MAX_PROBLEMS: Final = 100  # listed; all are counted
CHUNK_ROWS: Final = 10_000
_TIME: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z")
_EPOCH: Final = date(1970, 1, 1).toordinal()
csv.field_size_limit(1 << 20)  # one field of a megabyte at most: beyond is damage, not data


class Column(NamedTuple):
    """The datastream a column fills."""

    stream_id: int
    datatype: Datatype
    decimals: int


@dataclass(frozen=True)
class Problem:
    row: int  # in the file, the header being row 1
    column: int | None  # 1 = the time column; None for the row as a whole
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"row {self.row}" if self.column is None else f"row {self.row}, column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Report:
    """What checking found: the size of the data, and the problems (the first MAX_PROBLEMS of them)."""

    rows: int = 0
    values: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    def add(self, row: int, column: int | None, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, column, message))

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


# A header cell -> the column's datastream, or what is wrong with it.
Resolver = Callable[[str], Column | str]
# Stored points of a stream in [lo, hi]: ts -> value, to find rows that contradict them.
Stored = Callable[[int, int, int], Mapping[int, Value]]


class Unreadable(Exception):
    """The file is not text that can be read as CSV at all."""


def time_ms(text: str) -> int | None:
    """UTC milliseconds of `YYYY-MM-DDTHH:mm:ss.SSSZ`, or None if it is not such a time."""
    m = _TIME.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, millis = m.groups()
    h, mi, s = int(hour), int(minute), int(second)
    if h > 23 or mi > 59 or s > 59:
        return None
    days = _day(int(year), int(month), int(day))
    if days is None:
        return None
    return (((days * 24 + h) * 60 + mi) * 60 + s) * 1000 + (int(millis.ljust(3, "0")) if millis else 0)


@lru_cache(maxsize=4096)
def _day(year: int, month: int, day: int) -> int | None:
    try:
        return date(year, month, day).toordinal() - _EPOCH
    except ValueError:
        return None


def check(
    source: BinaryIO,
    resolve: Resolver,
    stored: Stored,
    *,
    window: TimeWindow,
    progress: Callable[[int], None] = lambda done: None,
) -> Report:
    """Read the whole file; the report of every problem (times outside the window included)."""
    report = Report()
    rows = _reader(source)
    columns = _header(rows, resolve, report)
    times, lines = array("q"), array("q")
    previous = -(1 << 62)
    ordered = True
    chunk: list[tuple[int, int, list[str]]] = []
    try:
        for line, fields in rows:
            if not fields or fields == [""]:
                continue  # a blank line
            report.rows += 1
            if len(fields) != len(columns) + 1:
                report.add(line, None, f"has {len(fields)} fields where the header has {len(columns) + 1}")
                continue
            ts = time_ms(fields[0])
            if ts is None:
                report.add(line, 1, f"`{_show(fields[0])}` is not a UTC time like 2021-05-01T10:12:44.432Z")
                continue
            if (problem := window.problem(ts)) is not None:
                report.add(line, 1, problem)
                continue
            times.append(ts)
            lines.append(line)
            ordered = ordered and ts > previous
            previous = ts
            chunk.append((line, ts, fields))
            if len(chunk) == CHUNK_ROWS:
                _check_values(chunk, columns, stored, report)
                chunk = []
                progress(source.tell())
    except UnicodeDecodeError as exc:
        report.add(report.rows + 2, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start} of a block)")
        return report
    except csv.Error as exc:
        report.add(report.rows + 2, None, f"cannot be read as CSV: {exc}")
        return report
    _check_values(chunk, columns, stored, report)
    if not ordered:
        _duplicates(times, lines, report)
    progress(source.tell())
    return report


def header_columns(source: BinaryIO, resolve: Resolver, report: Report) -> list[Column]:
    """The datastreams the header names (problems go to the report)."""
    return [c for c in _header(_reader(source), resolve, report) if c is not None]


def point_rows(
    source: BinaryIO, columns: Sequence[Column], *, skip_rows: int = 0, batch_values: int = 20_000
) -> Iterator[tuple[int, list[PointRow]]]:
    """The point rows of a checked file, in batches; with each batch, how many rows are done."""
    rows = _reader(source)
    next(rows)  # the header
    convert = [_converter(c) for c in columns]
    ids = [c.stream_id for c in columns]
    keep_empty = [c.datatype is Datatype.STRING for c in columns]
    batch: list[PointRow] = []
    done = 0
    for _, fields in rows:
        if not fields or fields == [""]:
            continue
        done += 1
        if done <= skip_rows:
            continue
        ts = time_ms(fields[0])
        for i, text in enumerate(fields[1:]):
            if text or keep_empty[i]:
                batch.append((ids[i], ts, convert[i](text)))  # type: ignore[arg-type]
        if len(batch) >= batch_values:
            yield done, batch
            batch = []
    yield done, batch


def _reader(source: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each row, the delimiter found from the header line."""
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="strict", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        text.detach()
        raise Unreadable("the header line is not UTF-8 text; save the file as UTF-8") from None
    if not first.strip():
        text.detach()
        raise Unreadable("the file is empty or its first line is; the first line must name the datastreams")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(_chain(first, text), delimiter=delimiter, quotechar='"', strict=True)
    try:
        for fields in reader:
            yield reader.line_num, fields
    finally:
        text.detach()  # the caller's file stays open (and says how far it has been read)


def _chain(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    yield from rest


def _header(rows: Iterator[tuple[int, list[str]]], resolve: Resolver, report: Report) -> list[Column | None]:
    try:
        _, cells = next(rows)
    except (StopIteration, csv.Error) as exc:
        raise Unreadable(f"the header line cannot be read as CSV: {exc}") from None
    columns: list[Column | None] = []
    seen: dict[int, int] = {}
    for i, cell in enumerate(cells[1:], start=2):
        found = resolve(cell.strip())
        if isinstance(found, str):
            report.add(1, i, found)
            columns.append(None)
        elif found.stream_id in seen:
            report.add(1, i, f"names the same datastream as column {seen[found.stream_id]}")
            columns.append(None)
        else:
            seen[found.stream_id] = i
            columns.append(found)
    if not cells[1:]:
        report.add(1, None, "names no datastream: after the first cell, each header cell is an id or a topic")
    return columns


def _check_values(
    chunk: list[tuple[int, int, list[str]]], columns: Sequence[Column | None], stored: Stored, report: Report
) -> None:
    if not chunk:
        return
    lo, hi = min(ts for _, ts, _ in chunk), max(ts for _, ts, _ in chunk)
    for i, column in enumerate(columns):
        if column is None:
            continue
        texts = [fields[i + 1] for _, _, fields in chunk]
        clean = column_values(texts, column.datatype)
        have = stored(column.stream_id, lo, hi)
        if clean is not None and not have:
            report.values += len(clean)
            continue
        # A closer look, cell by cell: what is wrong, or which values meet stored ones.
        for (line, ts, _), text in zip(chunk, texts, strict=True):
            try:
                value = from_text(text, column.datatype, column.decimals)
            except BadValue as exc:
                report.add(line, i + 2, f"{exc} ({column.datatype.public} datastream {column.stream_id})")
                continue
            if value is None:
                continue
            report.values += 1
            if ts in have and have[ts] != value:
                report.add(
                    line,
                    i + 2,
                    f"{value!r} differs from the value {have[ts]!r} already stored for datastream "
                    f"{column.stream_id} at this time; remove the row or the stored value",
                )


def _duplicates(times: array[int], lines: array[int], report: Report) -> None:
    # Only needed when the times are not strictly increasing: then no time can repeat.
    order = sorted(range(len(times)), key=times.__getitem__)
    for a, b in pairwise(order):
        if times[a] == times[b]:
            first, again = sorted((lines[a], lines[b]))
            report.add(again, 1, f"repeats the time of row {first}; each row must have its own time")


def _converter(column: Column) -> Callable[[str], Any]:
    """Text -> stored value for a checked column (no second validation: the file passed)."""
    if column.datatype is Datatype.STRING:
        return str
    if column.datatype is Datatype.INTEGER:
        return int
    if column.datatype is Datatype.DOUBLE:
        return float
    decimals = column.decimals
    return lambda text: scaled(Decimal(text), decimals)


def _show(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
