"""P1 telegrams (DSMR 2.2–5 and the Belgian, Luxembourg, Swedish, Irish and Hungarian dialects) → samples.

The meter's dialect is recognised from the telegram itself; the matching dsmr-parser specification
then says which OBIS lines carry what and how each value is typed. dsmr-parser's TelegramParser runs
every pattern of a specification over the whole telegram (~0.5 ms); here each line is looked up by its
OBIS code instead, every code being resolved once against the specification's patterns and cached,
and only the lines that feed a sample are converted (~0.05 ms). tests/unit/test_telegram.py checks the
values against TelegramParser's on every fixture.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo

from dsmr_parser import telegram_specifications as specs  # type: ignore[import-untyped]

from meterhub.core.buckets import to_ms
from meterhub.core.errors import TelegramError
from meterhub.core.roles import ROLES, MeterType
from meterhub.core.window import DEFAULT_WINDOW, TimeWindow
from meterhub.ingest.crc import crc16_arc


@dataclass(frozen=True, slots=True)
class MeterSample:
    equipment_id: str | None
    meter_type: MeterType
    channel: int | None
    timestamp: datetime
    values: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class MeterStatistics:
    dsmr_version: str | None = None
    electricity_tariff: int | None = None
    power_failure_count: int | None = None
    long_power_failure_count: int | None = None
    voltage_sag_count_l1: int | None = None
    voltage_sag_count_l2: int | None = None
    voltage_sag_count_l3: int | None = None
    voltage_swell_count_l1: int | None = None
    voltage_swell_count_l2: int | None = None
    voltage_swell_count_l3: int | None = None


@dataclass(frozen=True, slots=True)
class Telegram:
    protocol: str
    electricity: MeterSample
    devices: tuple[MeterSample, ...]
    statistics: MeterStatistics
    text: str


@dataclass(frozen=True)
class Protocol:
    name: str
    spec: Mapping[str, Any]
    crc: bool  # the meter ends each telegram with `!` and a CRC16
    clock: bool  # the meter stamps each telegram (0-0:1.0.0)


PROTOCOLS: Final[Mapping[str, Protocol]] = {
    p.name: p
    for p in (
        Protocol("dsmr22", specs.V2_2, crc=False, clock=False),
        Protocol("dsmr3", specs.V3, crc=False, clock=False),
        Protocol("dsmr4", specs.V4, crc=True, clock=True),
        Protocol("dsmr5", specs.V5, crc=True, clock=True),
        Protocol("fluvius", specs.BELGIUM_FLUVIUS, crc=True, clock=True),
        Protocol("smarty", specs.LUXEMBOURG_SMARTY, crc=True, clock=True),
        Protocol("sweden", specs.SWEDEN, crc=True, clock=True),
        # dsmr-parser's spec says "no CRC", but the Iskra IE5T-200 sends one.
        Protocol("iskra_ie", specs.ISKRA_IE, crc=True, clock=True),
        Protocol("eon_hu", specs.EON_HUNGARY, crc=True, clock=True),
        # The plaintext inside the meter's encrypted frame; decrypting is the datalogger's job.
        Protocol("sagemcom_t210", specs.SAGEMCOM_T210_D_R, crc=True, clock=True),
        # EasyMeter (DE): not DSMR, but dsmr-parser knows it and it is close enough.
        Protocol("q3d", specs.Q3D, crc=False, clock=False),
    )
}

# dsmr-parser object name → role. Like DSMR-reader it calls energy fed back to the grid "delivered".
OBIS_NAME_ROLES: Final[Mapping[str, str]] = {
    "ELECTRICITY_USED_TARIFF_1": "import_t1_kwh",
    "ELECTRICITY_USED_TARIFF_2": "import_t2_kwh",
    "ELECTRICITY_DELIVERED_TARIFF_1": "export_t1_kwh",
    "ELECTRICITY_DELIVERED_TARIFF_2": "export_t2_kwh",
    "CURRENT_ELECTRICITY_USAGE": "import_kw",
    "CURRENT_ELECTRICITY_DELIVERY": "export_kw",
    **{f"INSTANTANEOUS_ACTIVE_POWER_L{n}_POSITIVE": f"import_l{n}_kw" for n in (1, 2, 3)},
    **{f"INSTANTANEOUS_ACTIVE_POWER_L{n}_NEGATIVE": f"export_l{n}_kw" for n in (1, 2, 3)},
    **{f"INSTANTANEOUS_VOLTAGE_L{n}": f"voltage_l{n}_v" for n in (1, 2, 3)},
    **{f"INSTANTANEOUS_CURRENT_L{n}": f"current_l{n}_a" for n in (1, 2, 3)},
}
# Single-register meters (Luxembourg, Sweden, EasyMeter) count on tariff 1, as DSMR-reader stores them.
OBIS_NAME_TOTALS: Final[Mapping[str, str]] = {
    "ELECTRICITY_IMPORTED_TOTAL": "import_t1_kwh",
    "ELECTRICITY_EXPORTED_TOTAL": "export_t1_kwh",
}
# dsmr-parser object name → MeterStatistics field.
OBIS_NAME_STATISTICS: Final[Mapping[str, str]] = {
    "P1_MESSAGE_HEADER": "dsmr_version",
    "BELGIUM_VERSION_INFORMATION": "dsmr_version",
    "ELECTRICITY_ACTIVE_TARIFF": "electricity_tariff",
    "SHORT_POWER_FAILURE_COUNT": "power_failure_count",
    "LONG_POWER_FAILURE_COUNT": "long_power_failure_count",
    **{f"VOLTAGE_SAG_L{n}_COUNT": f"voltage_sag_count_l{n}" for n in (1, 2, 3)},
    **{f"VOLTAGE_SWELL_L{n}_COUNT": f"voltage_swell_count_l{n}" for n in (1, 2, 3)},
}
# Identifier names, best first: the equipment id, else the logical device name, else a serial number.
_ID_RANKS: Final[Mapping[str, int]] = {
    "EQUIPMENT_IDENTIFIER": 0,
    "BELGIUM_EQUIPMENT_IDENTIFIER": 0,
    "MBUS_EQUIPMENT_IDENTIFIER": 0,
    "LUXEMBOURG_EQUIPMENT_IDENTIFIER": 1,
    "COSEM_LOGICAL_DEVICE_NAME": 1,
    "Q3D_EQUIPMENT_IDENTIFIER": 1,
    "EQUIPMENT_IDENTIFIER_GAS": 2,
    "EQUIPMENT_SERIAL_NUMBER": 2,
    "Q3D_EQUIPMENT_SERIALNUMBER": 2,
}
_ROLE, _TOTAL, _CLOCK, _VERSION, _COUNT, _ID, _TYPE, _READING = range(8)
_USES: Final[Mapping[str, tuple[int, Any]]] = {
    **{name: (_ROLE, role) for name, role in OBIS_NAME_ROLES.items()},
    **{name: (_TOTAL, role) for name, role in OBIS_NAME_TOTALS.items()},
    **{
        name: (_VERSION if field == "dsmr_version" else _COUNT, field)
        for name, field in OBIS_NAME_STATISTICS.items()
    },
    **{name: (_ID, rank) for name, rank in _ID_RANKS.items()},
    "P1_MESSAGE_TIMESTAMP": (_CLOCK, None),
    "DEVICE_TYPE": (_TYPE, None),
    "MBUS_DEVICE_TYPE": (_TYPE, None),
    "HOURLY_GAS_METER_READING": (_READING, None),
    "MBUS_METER_READING": (_READING, None),
    "GAS_METER_READING": (_READING, None),
}

# M-Bus device types (EN 13757-3) that a role can hold; without one the reading's unit decides.
_MBUS_TYPES: Final[Mapping[int, MeterType]] = {
    3: MeterType.GAS,
    4: MeterType.HEAT,
    12: MeterType.HEAT,
    6: MeterType.WATER,
    7: MeterType.WATER,
    21: MeterType.WATER,
    22: MeterType.WATER,
}
_UNIT_TYPES: Final[Mapping[str, MeterType]] = {
    "m3": MeterType.GAS,
    "gj": MeterType.HEAT,
    "mj": MeterType.HEAT,
}
# A device type without a role here (water, until roles.py has one) is left out of the telegram.
_DEVICE_ROLES: Final[Mapping[MeterType, str]] = {
    meter: role
    for meter, role in ((MeterType.GAS, "gas_m3"), (MeterType.HEAT, "heat_gj"), (MeterType.WATER, "water_m3"))
    if role in ROLES
}
# Units meters use besides the role's own: (unit, role unit) → power of ten, all lower case.
_UNIT_SHIFTS: Final[Mapping[tuple[str, str], int]] = {
    ("w", "kw"): -3,
    ("wh", "kwh"): -3,
    ("mwh", "kwh"): 3,
    ("mj", "gj"): -3,
    ("dm3", "m3"): -3,
}

_STRIP: Final = "\x00 \t\r\n\x0b\x0c"
_MAX_CHARS: Final = 64 * 1024  # the longest real telegrams (Fluvius with 13 months of peaks) are ~3 kB
_HEX: Final = frozenset("0123456789ABCDEFabcdef")
# Meters stamp an M-Bus channel that was never read with the Unix epoch (or 2000-01-01).
_PLACEHOLDER_BEFORE: Final = datetime(2001, 1, 1, tzinfo=UTC)
# dsmr-parser reads every meter time as Dutch time, whatever the country; so does this module.
_METER_ZONE: Final = ZoneInfo("Europe/Amsterdam")
_FOLDS: Final[Mapping[str, int]] = {"": 0, "S": 0, "W": 1, "s": 0, "w": 1}
_ZERO: Final = Decimal(0)
_CACHE_CODES: Final = 512  # OBIS codes remembered per dialect; the input is untrusted

_OBIS_CODE: Final = re.compile(r"[0-9]+-[0-9]+:[0-9]+\.[0-9]+\.[0-9]+(?:\*[0-9]+)?")
# Register-sized numbers only: longer ones are damage, and would overflow the stored integers.
_QUANTITY: Final = re.compile(r"\((-?[0-9]{1,12}(?:\.[0-9]{1,9})?)(?:\*([0-9A-Za-z]{1,8}))?\)")
_NUMBER: Final = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,9})?")
_INTEGER: Final = re.compile(r"\(([0-9]{1,9})\)")
# A value group as dsmr-parser accepts it.
_TEXT: Final = re.compile(r"\(([0-9A-Za-z.*:\-]*)\)")
_GROUPS: Final = re.compile(r"(?:\([0-9A-Za-z.*:\-]*\))+")

_Line = tuple[int, Any, int, int, str | None]  # kind, target, M-Bus channel, value groups, role unit


class _Dialect:
    """A protocol's patterns, with each OBIS code seen so far resolved to what its line means."""

    __slots__ = ("entries", "lines")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.entries = [
            (re.compile(o["obis_reference"], re.DOTALL | re.MULTILINE), o["value_name"], o["value_parser"])
            for o in spec["objects"]
            if o["value_name"] in _USES
        ]
        self.lines: dict[str, _Line | None] = {}

    def resolve(self, code: str, n: int, rest: str) -> _Line | None:
        """What a line with this OBIS code means in this dialect (None: nothing kept)."""
        if _OBIS_CODE.fullmatch(code) is None:
            raise _bad_line(n, code + rest, "does not start with an OBIS code like `1-0:1.8.1`")
        # The patterns match whole lines ending in CRLF; the code alone decides whether they match.
        probe = code + "(x)\r\n(x)\r\n"
        line: _Line | None = None
        for pattern, name, parser in self.entries:
            if pattern.match(probe):
                kind, target = _USES[name]
                unit = ROLES[target].unit if kind in (_ROLE, _TOTAL) else None
                line = (kind, target, int(code[2]), len(getattr(parser, "value_formats", ())), unit)
                break
        if len(self.lines) < _CACHE_CODES:
            self.lines[code] = line
        return line


_DIALECTS: dict[str, _Dialect] = {}
_UNRESOLVED: Final[Any] = object()


class _Device:
    __slots__ = ("id", "id_rank", "reading", "type")

    def __init__(self) -> None:
        self.type: int | None = None
        self.id: str | None = None
        self.id_rank = len(_ID_RANKS)
        self.reading: tuple[int, str, datetime | None, Decimal | None, str | None] | None = None


def parse_telegram(
    text: str, *, now: datetime, window: TimeWindow = DEFAULT_WINDOW, check_crc: bool = True
) -> Telegram:
    """Parse one P1 telegram of any supported dialect, or raise TelegramError saying what is wrong
    (a meter time outside the window included)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    s = text.strip(_STRIP)
    if not s:
        raise TelegramError(
            "The telegram is empty (or only NUL characters and whitespace); send the meter's text from its "
            "`/` header line to its `!` checksum line.",
            reason="empty",
        )
    if "\x00" in s:
        raise TelegramError(
            "The telegram holds a NUL character; a meter sends none between its `/` header and its checksum.",
            reason="NUL character",
        )
    if len(s) > _MAX_CHARS:
        raise TelegramError(
            f"The text is {len(s)} characters long; a P1 telegram is a few kilobytes at most. "
            "Send one telegram per request.",
            reason="too long",
        )
    if "\n" not in s and "\r" not in s and "/" in s and "!" in s:
        # Lines joined on the way (a form or shell that took the text as one line): `_locate`
        # would find no `!` line and call it cut off.
        raise TelegramError(
            "The telegram has no line breaks: a meter ends each line with \\r\\n. Send the telegram "
            "exactly as the meter wrote it, line endings included.",
            reason="no line breaks",
        )
    start, bang, crc, crc_end = _locate(s)
    if crc and check_crc:
        _check_crc(s[start : bang + 1], crc)
    # Header … last data line, without the line end before `!`.
    lines = s[start : bang - 1].replace("\r", "").split("\n")
    obis = _obis_lines(lines)
    protocol = PROTOCOLS[_detect(lines[0], obis, bool(crc))]
    if protocol.crc and not crc and check_crc:
        raise TelegramError(
            f"The telegram ends with a bare `!`, but a {protocol.name} meter ends it with `!` and a CRC of "
            "4 hexadecimal digits: the telegram was cut off. Send it unchanged.",
            reason="no CRC",
        )
    dialect = _DIALECTS.get(protocol.name)
    if dialect is None:
        dialect = _DIALECTS[protocol.name] = _Dialect(protocol.spec)
    return _telegram(s[start:crc_end], protocol, dialect, obis, _Clock(now.astimezone(UTC), window))


def _locate(s: str) -> tuple[int, int, str, int]:
    """Where the telegram is: its `/`, its `!`, the CRC after `!` and where that ends."""
    start = 0 if s[0] == "/" else s.find("\n/") + 1
    if start == 0 and s[0] != "/":
        raise TelegramError(
            "No header line starting with `/` was found: a P1 telegram starts with `/` and the meter's "
            "identification (e.g. `/ISk5\\2MT382-1000`). Send the whole telegram, `/` line to `!` line.",
            reason="no header",
        )
    end = s.find("\n!", start)
    if end < 0:
        raise TelegramError(
            "The telegram has no end line starting with `!` after its `/` header: it was cut off. "
            "Send it completely, up to and including the `!` line and its CRC.",
            reason="no end line",
        )
    # A second header before the end: the first telegram broke off and the meter started over.
    # DSMR-reader's datalogger empties its buffer on every `/`; so the last header is the one.
    restart = s.rfind("\n/", start, end)
    if restart >= 0:
        start = restart + 1
    bang = end + 1
    j = bang + 1
    limit = min(len(s), j + 4)
    while j < limit and s[j] in _HEX:
        j += 1
    eol = s.find("\n", j)
    line_end = len(s) if eol < 0 else eol
    if s[j:line_end].strip(" \t\r\x00"):
        raise TelegramError(
            f"The end line `{_show(s[bang:line_end])}` is not `!` followed by a CRC of 1 to 4 hexadecimal "
            "digits; send the telegram unchanged.",
            reason="bad end line",
        )
    if eol >= 0 and (s.startswith("/", eol + 1) or s.find("\n/", eol + 1) >= 0):
        raise TelegramError(
            "The text holds more than one telegram; send each telegram in a request of its own.",
            reason="several telegrams",
        )
    return start, bang, s[bang + 1 : j], j


def _check_crc(body: str, given: str) -> None:
    try:
        data = body.encode("latin-1")
    except UnicodeEncodeError as error:
        char = body[error.start]
        raise TelegramError(
            f"The telegram contains {char!r} (U+{ord(char):04X}), which no meter sends: a telegram is bytes. "
            "Send them as received (as Latin-1 text), not re-encoded on the way.",
            reason="not Latin-1",
        ) from None
    computed = crc16_arc(data)
    if computed == int(given, 16):
        return
    mismatch = f"CRC mismatch: the telegram says {given.upper()}, its content computes {computed:04X} — "
    # The meter's CRC covers its CRLF line ends; a transport that writes LF alone breaks it.
    if "\r" not in body and crc16_arc(data.replace(b"\n", b"\r\n")) == int(given, 16):
        raise TelegramError(
            mismatch + "the line endings were changed on the way (LF instead of CRLF): send the "
            "telegram exactly as the meter wrote it, with \\r\\n",
            reason="LF line endings",
        )
    raise TelegramError(
        mismatch + "the telegram was altered or cut in transit; send it unchanged", reason="CRC mismatch"
    )


def _obis_lines(lines: list[str]) -> dict[str, tuple[int, str]]:
    """OBIS code → (line number, value groups), first occurrence of each code, in telegram order."""
    obis: dict[str, tuple[int, str]] = {}
    code = ""
    for i in range(1, len(lines)):  # lines[0] is the header
        line = lines[i]
        if not line:
            continue
        p = line.find("(")
        if p == 0 and code and line[-1] == ")":
            # DSMR 2/3 write the gas reading on the line after its 0-n:24.3.0 line.
            n, rest = obis[code]
            if n == i:
                obis[code] = (i + 1, rest + line)
            continue
        if p <= 0 or line[-1] != ")":
            raise _bad_line(i + 1, line, "is not an OBIS data line like `1-0:1.8.1(001234.567*kWh)`")
        code = line[:p]
        if code not in obis:
            obis[code] = (i + 1, line[p:])
    return obis


def _detect(header: str, obis: Mapping[str, tuple[int, str]], crc: bool) -> str:
    """The meter's dialect, from what its telegram carries."""
    if "0-0:96.1.4" in obis:  # Fluvius (e-MUCS) states its version here rather than in 1-3:0.2.8
        return "fluvius"
    version = obis.get("1-3:0.2.8")
    if not crc and version is None and "0-0:1.0.0" not in obis:
        # DSMR 2.2 and 3 carry no CRC, version or clock; nor does EasyMeter's dialect.
        if header.startswith("/ESY"):
            return "q3d"
        # DSMR 3 hex-encodes the equipment id, DSMR 2.2 sends it as it is.
        ident = obis.get("0-0:96.1.1", (0, "()"))[1][1:-1]
        return "dsmr3" if ident and _meter_id(ident) != ident else "dsmr22"
    total, tariffs = "1-0:1.8.0" in obis, "1-0:1.8.1" in obis
    if version is not None:
        if total:  # DSMR 5 with a total register: Luxembourg's single register, Sagemcom T210-D-r's both
            return "sagemcom_t210" if tariffs else "smarty"
        return "dsmr4" if version[1].startswith("(4") else "dsmr5"
    if total:
        return "eon_hu" if tariffs else "sweden"
    return "iskra_ie"


@dataclass(frozen=True)
class _Clock:
    """The server's clock, and the window of times it takes readings for."""

    now: datetime
    window: TimeWindow

    def check(self, timestamp: datetime, what: str) -> None:
        problem = self.window.problem(to_ms(timestamp), to_ms(self.now))
        if problem is not None:
            raise TelegramError(f"The {what} is wrong: {problem}.", reason="time outside the window")


def _telegram(
    text: str, protocol: Protocol, dialect: _Dialect, obis: Mapping[str, tuple[int, str]], server: _Clock
) -> Telegram:
    values: dict[str, Decimal] = {}
    totals: dict[str, Decimal] = {}
    statistics: dict[str, Any] = {}
    clock: datetime | None = None
    meter_id: str | None = None
    id_rank = len(_ID_RANKS)
    devices: dict[int, _Device] = {}
    resolved = dialect.lines
    for code, (n, rest) in obis.items():
        line = resolved.get(code, _UNRESOLVED)
        if line is _UNRESOLVED:
            line = dialect.resolve(code, n, rest)
        if line is None:
            continue
        kind, target, channel, width, unit = line
        if kind in (_ROLE, _TOTAL):
            into = values if kind == _ROLE else totals
            if target not in into:
                into[target] = _quantity(n, code, rest, unit)
        elif kind == _CLOCK:
            if clock is None:
                m = _TEXT.fullmatch(rest)
                clock = _timestamp(m.group(1)) if m else None
                if clock is None:
                    raise _bad_line(n, code + rest, "does not hold a meter time like `(101209113020W)`")
        elif kind in (_COUNT, _VERSION):
            if target not in statistics:
                m = (_INTEGER if kind == _COUNT else _TEXT).fullmatch(rest)
                if m is None:
                    raise _bad_line(n, code + rest, "does not hold a whole number like `(00004)`")
                statistics[target] = int(m.group(1)) if kind == _COUNT else m.group(1) or None
        elif kind == _ID:
            if channel == 0:
                if target < id_rank and (raw := _identifier(rest)):
                    meter_id, id_rank = raw, target
            elif target < (device := devices.setdefault(channel, _Device())).id_rank:
                device.id, device.id_rank = _identifier(rest), target
        elif channel == 0:
            continue  # M-Bus lines on the electricity meter's own channel mean nothing
        elif kind == _TYPE:
            m = _INTEGER.fullmatch(rest)
            if m is None:
                raise _bad_line(n, code + rest, "does not hold an M-Bus device type like `(003)`")
            devices.setdefault(channel, _Device()).type = int(m.group(1))
        elif (device := devices.setdefault(channel, _Device())).reading is None:
            device.reading = _reading(n, code, rest, width)

    if clock is None:
        if protocol.clock:
            raise TelegramError(
                f"The telegram has no `0-0:1.0.0(YYMMDDhhmmssW)` timestamp line, which every {protocol.name} "
                "telegram carries: it was cut or altered. Send it unchanged.",
                reason="no clock",
            )
        clock = server.now  # DSMR 2.2/3 meters have no clock; DSMR-reader stamps their readings on arrival
    server.check(clock, "meter's clock")
    for role, total in totals.items():
        values.setdefault(role, total)
    # A second tariff the meter lacks stands still at zero (DSMR-reader stores it so).
    if "import_t1_kwh" in values:
        values.setdefault("import_t2_kwh", _ZERO)
    if "export_t1_kwh" in values:
        values.setdefault("export_t2_kwh", _ZERO)
    samples = tuple(
        sample for channel in sorted(devices) if (sample := _device_sample(channel, devices[channel], server))
    )
    if not values and not samples:
        raise TelegramError(
            "The telegram holds no meter reading (no energy, power or M-Bus lines the meter's protocol "
            f"({protocol.name}) defines); send a complete telegram.",
            reason="no reading",
        )
    electricity = MeterSample(
        _meter_id(meter_id), MeterType.ELECTRICITY, None, clock, MappingProxyType(values)
    )
    return Telegram(protocol.name, electricity, samples, MeterStatistics(**statistics), text)


def _quantity(n: int, code: str, rest: str, unit: str | None) -> Decimal:
    m = _QUANTITY.fullmatch(rest)
    if m is None:
        raise _bad_line(n, code + rest, "does not hold a number like `(001234.567*kWh)`")
    value = Decimal(m.group(1))
    given = m.group(2)
    if given is None or given == unit:
        return value
    return _in_unit(value, given, unit, n, code + rest)


def _in_unit(value: Decimal, given: str, unit: str | None, n: int, line: str) -> Decimal:
    if unit is None:
        return value
    expected = unit.lower()
    got = given.lower()
    shift = 0 if got == expected else _UNIT_SHIFTS.get((got, expected))
    if shift is None:
        raise _bad_line(n, line, f"is in {given}, which cannot be read as {unit}")
    return value.scaleb(shift) if shift else value


def _reading(
    n: int, code: str, rest: str, width: int
) -> tuple[int, str, datetime | None, Decimal | None, str | None]:
    """An M-Bus reading line: (line number, line, time or None if invalid, value, unit)."""
    groups = rest[1:-1].split(")(") if _GROUPS.fullmatch(rest) else []
    if len(groups) != width:
        raise _bad_line(n, code + rest, "is not a meter reading like `(101209112500W)(12785.123*m3)`")
    # dsmr-parser's layouts: (time)(value*unit), or DSMR 2/3's (time)(…)(…)(…)(obis)(unit) + (value).
    value, _, unit = groups[1].partition("*") if width == 2 else (groups[6], "", groups[5])
    if value and _NUMBER.fullmatch(value) is None:
        raise _bad_line(n, code + rest, f"holds `{value}` where a number like `00812.345` belongs")
    return n, code + rest, _timestamp(groups[0]), Decimal(value) if value else None, unit or None


def _device_sample(channel: int, device: _Device, clock: _Clock) -> MeterSample | None:
    """The device's reading as a sample; None if it has none, or none a role can hold."""
    if device.reading is None:
        return None
    n, line, timestamp, value, unit = device.reading
    # A reading without a valid time is dropped, as DSMR-reader drops it.
    if value is None or timestamp is None or timestamp < _PLACEHOLDER_BEFORE:
        return None
    if device.type is not None:
        meter = _MBUS_TYPES.get(device.type, MeterType.OTHER)
    else:
        meter = _UNIT_TYPES.get(unit.lower() if unit else "m3", MeterType.OTHER)
    role = _DEVICE_ROLES.get(meter)
    if role is None:
        return None
    if unit is not None and unit != ROLES[role].unit:
        value = _in_unit(value, unit, ROLES[role].unit, n, line)
    clock.check(timestamp, f"M-Bus channel {channel} reading's time")
    return MeterSample(_meter_id(device.id), meter, channel, timestamp, MappingProxyType({role: value}))


def _timestamp(text: str) -> datetime | None:
    """A `YYMMDDhhmmss[S|W]` meter time in UTC, or None if it is no valid time (as dsmr-parser reads it)."""
    # Fixed-width fields are the only split strptime("%y%m%d%H%M%S") finds in 12 digits. Unlike
    # dsmr-parser, a lower-case DST flag is accepted: the Landis+Gyr E350 writes one, DSMR-reader reads it.
    fold = _FOLDS.get(text[12:])
    if fold is None or len(text) < 12 or not (text.isascii() and text[:12].isdigit()):
        return None
    year = int(text[0:2])
    try:
        local = datetime(
            year + (1900 if year >= 69 else 2000),
            int(text[2:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            tzinfo=_METER_ZONE,
            fold=fold,  # W marks the second, winter-time pass through the hour that repeats in October
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def _identifier(rest: str) -> str | None:
    m = _TEXT.fullmatch(rest)
    # dsmr-parser reads what follows a `*` as a unit; an id masked with asterisks is then empty.
    return m.group(1).partition("*")[0] or None if m else None


def _meter_id(raw: str | None) -> str | None:
    """The id as text: DSMR hex-encodes it (`4B38…` → `K8…`); anything else is kept as sent."""
    if not raw or len(raw) % 2:
        return raw
    try:
        decoded = bytes.fromhex(raw)
    except ValueError:
        return raw
    return decoded.decode("ascii") if decoded.isascii() and decoded.decode("ascii").isprintable() else raw


def _bad_line(n: int, line: str, problem: str) -> TelegramError:
    return TelegramError(
        f"Line {n} `{_show(line)}` {problem}; the telegram is damaged — "
        "send it exactly as the meter wrote it.",
        reason="damaged line",
    )


def _show(text: str) -> str:
    text = text if len(text) <= 80 else text[:77] + "..."
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
