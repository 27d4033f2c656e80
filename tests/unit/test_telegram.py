"""P1 telegrams: each captured telegram gives what its upstream tests assert; damaged ones are refused."""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from dsmr_parser.parsers import TelegramParser  # type: ignore[import-untyped]

from meterhub.core.roles import ROLES, MeterType
from meterhub.faces.dsmr_reader.mapping import ALL_READING_FIELDS
from meterhub.ingest.crc import crc16_arc
from meterhub.ingest.telegram import (
    OBIS_NAME_ROLES,
    OBIS_NAME_STATISTICS,
    OBIS_NAME_TOTALS,
    PROTOCOLS,
    MeterSample,
    Telegram,
    TelegramError,
    parse_telegram,
)
from tests.conftest import FIXTURES

TELEGRAMS = FIXTURES / "telegrams"
EXPECTED: dict[str, Any] = json.loads((TELEGRAMS / "expected.json").read_text(encoding="utf-8"))
FIXTURES = sorted(name for name in EXPECTED if not name.startswith("_"))
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def read(name: str) -> str:
    """A fixture as the service receives it: the bytes as Latin-1 text."""
    return (TELEGRAMS / name).read_bytes().decode("latin-1")


def refused(name: str) -> bool:
    return any(
        a.get("reading_created") is False or str(a.get("outcome", "")).startswith("rejected")
        for a in EXPECTED[name].get("asserts", {}).values()
    )


def mocked_now(name: str) -> datetime:
    """The server time the upstream test froze, if it did."""
    for asserts in EXPECTED[name].get("asserts", {}).values():
        if "mocked_now" in asserts:
            return datetime.fromisoformat(asserts["mocked_now"])
        # A telegram without a clock is stamped "now": the asserted timestamp is the frozen time.
        if "timestamp" in asserts and "0-0:1.0.0(" not in read(name):
            return datetime.fromisoformat(asserts["timestamp"]["datetime"])
    return NOW


def parse(name: str) -> Telegram:
    return parse_telegram(read(name), now=mocked_now(name))


def with_crc(text: str) -> str:
    """The telegram with its CRC recomputed, so that a test gets past the CRC to the check behind it."""
    body = text[: text.index("\n!") + 2]
    return f"{body}{crc16_arc(body.encode('latin-1')):04X}\r\n"


ACCEPTED = [name for name in FIXTURES if not refused(name)]
REFUSED = [name for name in FIXTURES if refused(name)]

PROTOCOL_OF = {
    "dsmrparser_easymeter_esy5q3da1004_v304.txt": "q3d",
    "dsmrparser_easymeter_esy5q3db1024_v304.txt": "q3d",
    "dsmrparser_fluvius_v171.txt": "fluvius",
    "dsmrparser_fluvius_v171_alt.txt": "fluvius",
    "dsmrparser_iskra_ie5t200.txt": "iskra_ie",
    "dsmrparser_sagemcom_t210_d_r.txt": "sagemcom_t210",
    "dsmrparser_v2_2_iskra_mt382.txt": "dsmr22",
    "dsmrparser_v3_iskra_mt382.txt": "dsmr3",
    "dsmrparser_v4_2_kaifa.txt": "dsmr4",
    "dsmrparser_v5_eon_hungary_sagemcom.txt": "eon_hu",
    "dsmrparser_v5_iskra_am550_two_mbus.txt": "dsmr5",
    "dsmrparser_v5_iskra_mt382.txt": "dsmr5",
    "dsmrparser_v5_warmtelink_unpadded_crc.txt": "dsmr5",
    "dsmrreader_fluvius.txt": "fluvius",
    "dsmrreader_fluvius_multiple_gas_devices.txt": "fluvius",
    "dsmrreader_fluvius_polyphase.txt": "fluvius",
    "dsmrreader_fluvius_with_peak_data.txt": "fluvius",
    "dsmrreader_fluvius_without_gas.txt": "fluvius",
    "dsmrreader_iskra_am550_dsmr50_garbled.txt": "dsmr5",
    "dsmrreader_iskra_am550_dsmr50_gas_bus2.txt": "dsmr5",
    "dsmrreader_iskra_mt382_dsmr2_3.txt": "dsmr22",
    "dsmrreader_kaifa_dsmr42.txt": "dsmr4",
    "dsmrreader_kaifa_dsmr42_api_v1.txt": "dsmr4",
    "dsmrreader_landisgyr350_dsmr40.txt": "dsmr4",
    "dsmrreader_landisgyr350_dsmr42.txt": "dsmr4",
    "dsmrreader_landisgyr350_other_dsmr42.txt": "dsmr4",
    "dsmrreader_landisgyr_dsmr40_checksum.txt": "dsmr4",
    "dsmrreader_landisgyr_dsmr40_generic.txt": "dsmr4",
    "dsmrreader_landisgyr_dsmr40_mbus_channel.txt": "dsmr4",
    "dsmrreader_landisgyr_dsmr40_meter_statistics.txt": "dsmr4",
    "dsmrreader_luxembourg_smarty.txt": "smarty",
    "dsmrreader_netbeheer_example_dsmr50.txt": "dsmr5",
    "dsmrreader_stream_partial_then_kaifa_dsmr42.txt": "dsmr4",
    "dsmrreader_sweden_kamstrup.txt": "sweden",
}
# Upstream assertions about a telegram the test altered first; each is re-enacted by its own test here.
ALTERED_TELEGRAM_TESTS = {
    "test/test_parse_v5.py::test_gas_timestamp_invalid": "test_gas_reading_with_an_invalid_time_is_dropped",
    "test/test_parse_v5.py::test_checksum_invalid/test_checksum_missing": "test_damage_is_refused",
}
# Where this adapter knowingly differs from upstream; each difference has its own test.
DEVIATIONS = {
    # Channel 1 reads (700101010000W)(00000000): never read, stamped with the Unix epoch.
    ("dsmrparser_v5_iskra_am550_two_mbus.txt", "mbus_device_1.MBUS_METER_READING.value"): (
        "test_never_read_mbus_channel_is_no_device"
    ),
    **{
        (name, "meter_statistics.dsmr_version"): "test_fluvius_version_is_the_dsmr_version"
        for name in FIXTURES
        if name.startswith("dsmrreader_fluvius")
    },
}
# Fixtures whose upstream tests assert nothing about values.
NOTHING_TO_CHECK = {
    "dsmrparser_easymeter_esy5q3da1004_v304.txt",
    "dsmrparser_easymeter_esy5q3db1024_v304.txt",
    "dsmrparser_sagemcom_t210_d_r.txt",
    "dsmrreader_iskra_am550_dsmr50_garbled.txt",
}
FIELD_ROLES = {field.wire: field for field in ALL_READING_FIELDS}
WATER = 7  # M-Bus device type; roles.py has no water role yet
SKIP = object()


def expectations(name: str) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    """(upstream test, key, expected, all that test asserts) for each value the fixture's tests assert."""
    for test_id, asserts in EXPECTED[name].get("asserts", {}).items():
        if test_id in ALTERED_TELEGRAM_TESTS:
            continue
        flat = dict(asserts)
        flat.update(flatten_to_json(flat.pop("to_json()", {})))
        for key, raw in flat.items():
            yield test_id, key, raw, flat


def flatten_to_json(data: dict[str, Any]) -> dict[str, Any]:
    """dsmr-parser's to_json() output as the same dotted keys its tests use elsewhere."""
    flat: dict[str, Any] = {}
    for name, item in data.items():
        if name == "MBUS_DEVICES":
            for device in item:
                prefix = f"mbus{device['CHANNEL_ID']}"
                flat[f"{prefix}.MBUS_DEVICE_TYPE.value"] = device["MBUS_DEVICE_TYPE"]["value"]
                for attr, value in device.get("MBUS_METER_READING", {}).items():
                    flat[f"{prefix}.MBUS_METER_READING.{attr}"] = as_expected(attr, value)
        elif isinstance(item, dict) and "value" in item:
            flat[f"{name}.value"] = as_expected(name, item["value"])
    return flat


def as_expected(attr: str, value: Any) -> Any:
    if isinstance(value, float):
        return {"decimal": repr(value)}
    if attr in ("datetime", "P1_MESSAGE_TIMESTAMP") and isinstance(value, str):
        return {"datetime": value}
    return value


def decoded(raw: Any) -> Any:
    if isinstance(raw, dict):
        if "decimal" in raw:
            return Decimal(raw["decimal"])
        if "datetime" in raw:
            return datetime.fromisoformat(raw["datetime"])
        return SKIP  # e.g. {"expr": "date0"}: a value computed in the upstream test
    return raw


def extra_device(telegram: Telegram, name: str) -> MeterSample | None:
    """The gas sample DSMR-reader would store: on the channel its settings force, else the first."""
    forced = [
        int(setting.rsplit("_", 1)[1])
        for setting in EXPECTED[name].get("dsmrreader_datalogger_setting", [])
        if setting.startswith("DSMR_EXTRA_DEVICE_CHANNEL_")
    ]
    gas = [
        d
        for d in telegram.devices
        if d.meter_type is MeterType.GAS and (not forced or d.channel == forced[0])
    ]
    return gas[0] if gas else None


def device_on(telegram: Telegram, channel: int) -> MeterSample | None:
    return next((d for d in telegram.devices if d.channel == channel), None)


def observe(telegram: Telegram, name: str, asserts: dict[str, Any], key: str, raw: Any) -> Any:
    """(what the telegram gave, what upstream expects) for one assertion, or SKIP if no role matches it."""
    expected = decoded(raw)
    if expected is SKIP:
        return SKIP
    if key == "timestamp":
        return telegram.electricity.timestamp, expected
    if key in FIELD_ROLES:
        field = FIELD_ROLES[key]
        value = telegram.electricity.values.get(field.role)
        # DSMR-reader stores these in an integer column, which drops the fraction.
        return (int(value) if field.integer and value is not None else value), expected
    if key in ("extra_device_timestamp", "extra_device_delivered"):
        device = extra_device(telegram, name)
        if device is None:
            return None, expected
        return (device.timestamp if key == "extra_device_timestamp" else device.values["gas_m3"]), expected
    if key.startswith("meter_statistics."):
        return getattr(telegram.statistics, key.split(".", 1)[1]), expected
    if key in ("reading_created", "dsmr_reading_created_signal_sent", "parses_without_exception"):
        return True, expected  # the telegram parsed
    if key == "reading_count":
        return 1, expected  # the stream held one complete telegram, and this is it
    if key == "extra_device_timestamp_not_null":
        return extra_device(telegram, name) is not None, expected
    if key == "outcome":
        return "accepted", expected.split(" ", 1)[0]
    return observe_dsmr_parser(telegram, asserts, key, expected)


def observe_dsmr_parser(telegram: Telegram, asserts: dict[str, Any], key: str, expected: Any) -> Any:
    *prefix, obis_name, attr = ["", *key.replace("[", "").replace("]", "").split(".")]
    if attr not in ("value", "datetime") or not obis_name:  # notes, HTTP details, units (fixed by roles)
        return SKIP
    prefix = [p for p in prefix if p]
    if prefix:
        match = re.fullmatch(r"mbus_device_(\d)|mbus(\d)|gas_meter_device", prefix[0])
        if match is None or obis_name != "MBUS_METER_READING":
            return SKIP
        channel = int(match.group(1) or match.group(2) or 1)
        device = device_on(telegram, channel)
        if device is None:
            if asserts.get(f"{prefix[0]}.MBUS_DEVICE_TYPE.value") == WATER:
                return SKIP
            return None, expected
        return (device.timestamp if attr == "datetime" else next(iter(device.values.values()))), expected
    if obis_name in ("HOURLY_GAS_METER_READING", "GAS_METER_READING"):
        device = telegram.devices[0]
        return (device.timestamp if attr == "datetime" else device.values["gas_m3"]), expected
    if obis_name == "P1_MESSAGE_TIMESTAMP":
        return telegram.electricity.timestamp, expected
    if obis_name in OBIS_NAME_ROLES:
        return telegram.electricity.values.get(OBIS_NAME_ROLES[obis_name]), expected
    if obis_name in OBIS_NAME_STATISTICS:
        field = OBIS_NAME_STATISTICS[obis_name]
        if field == "electricity_tariff":
            expected = int(expected)  # dsmr-parser keeps "0002" as text
        return getattr(telegram.statistics, field), expected
    return SKIP


@pytest.mark.parametrize("name", ACCEPTED)
def test_fixture_gives_what_its_upstream_tests_assert(name: str) -> None:
    telegram = parse(name)
    assert telegram.protocol == PROTOCOL_OF[name]
    checked, wrong = 0, []
    for test_id, key, raw, asserts in expectations(name):
        if (name, key) in DEVIATIONS:
            continue
        pair = observe(telegram, name, asserts, key, raw)
        if pair is SKIP:
            continue
        checked += 1
        if pair[0] != pair[1]:
            wrong.append(f"{test_id} {key}: upstream {pair[1]!r}, here {pair[0]!r}")
    assert wrong == []
    assert checked > 0 or name in NOTHING_TO_CHECK


@pytest.mark.parametrize("name", ACCEPTED)
def test_values_equal_dsmr_parsers_own_parse(name: str) -> None:
    telegram = parse(name)
    spec = {**PROTOCOLS[telegram.protocol].spec, "general_global_cipher": False}
    reference = TelegramParser(spec, apply_checksum_validation=False).parse(telegram.text + "\r\n")
    obis = {o["value_name"]: o["obis_reference"] for o in spec["objects"]}

    def found(obis_name: str) -> Any:
        return reference.get(obis.get(obis_name, ""))

    explained = {"import_t2_kwh", "export_t2_kwh"}  # zero when the meter has one register
    for obis_name, role in {**OBIS_NAME_ROLES, **OBIS_NAME_TOTALS}.items():
        if (item := found(obis_name)) is not None:
            if obis_name in OBIS_NAME_ROLES or role not in explained:
                assert telegram.electricity.values[role] == in_role_unit(item.value, item.unit, role), (
                    obis_name
                )
            explained.add(role)
    assert set(telegram.electricity.values) <= explained
    if (clock := found("P1_MESSAGE_TIMESTAMP")) is not None:
        assert telegram.electricity.timestamp == clock.value
    for obis_name, field in OBIS_NAME_STATISTICS.items():
        if (item := found(obis_name)) is not None:
            value = int(item.value) if field == "electricity_tariff" else item.value
            assert getattr(telegram.statistics, field) == value, obis_name
    for device in telegram.devices:
        assert device.channel is not None
        mbus = reference.get_mbus_device_by_channel(device.channel)
        reading = next(v for k, v in mbus if k.endswith("METER_READING"))
        [(role, value)] = device.values.items()
        assert value == in_role_unit(reading.value, reading.unit, role)
        if reading.datetime is None:
            # dsmr-parser refuses a lower-case DST flag, which the Landis+Gyr E350 writes.
            assert re.search(rf"0-{device.channel}:24\.2\.1\(\d{{12}}[sw]\)", telegram.text)
        else:
            assert device.timestamp == reading.datetime


def in_role_unit(value: Decimal, unit: str | None, role: str) -> Decimal:
    return value.scaleb(-3) if unit in ("W", "Wh") and ROLES[role].unit in ("kW", "kWh") else value


@pytest.mark.parametrize("name", REFUSED)
def test_refused_fixture(name: str) -> None:
    with pytest.raises(TelegramError):
        parse(name)


def test_bad_crc_names_both_values() -> None:
    with pytest.raises(TelegramError, match="says ABCD, its content computes 4BC6"):
        parse("dsmrreader_kaifa_dsmr42_bad_crc.txt")
    with pytest.raises(TelegramError, match="says 0000, its content computes 58C8"):
        parse("dsmrreader_landisgyr_dsmr40_checksum_invalid.txt")


def test_bad_crc_passes_when_the_check_is_off() -> None:
    text = read("dsmrreader_kaifa_dsmr42_bad_crc.txt")
    telegram = parse_telegram(text, now=NOW, check_crc=False)
    assert telegram.electricity.values["import_t1_kwh"] == Decimal("1073.079")


# DSMR-reader's buffer-reset test telegram, equipment id masked with asterisks: the CRC no longer fits.
MASKED_KAIFA = (
    "".join(
        line + "\r\n"
        for line in (
            "/KFM5KAIFA-METER",
            "",
            "1-3:0.2.8(42)",
            "0-0:1.0.0(160303164347W)",
            "0-0:96.1.1(*******************************)",
            "1-0:1.8.1(001073.079*kWh)",
            "1-0:1.8.2(001263.199*kWh)",
            "1-0:2.8.1(000000.000*kWh)",
            "1-0:2.8.2(000000.000*kWh)",
            "0-0:96.14.0(0002)",
            "1-0:1.7.0(00.143*kW)",
            "1-0:2.7.0(00.000*kW)",
            "0-0:96.7.21(00006)",
            "0-0:96.7.9(00003)",
            "1-0:99.97.0(1)(0-0:96.7.19)(000101000001W)(2147483647*s)",
            "1-0:32.32.0(00000)",
            "1-0:32.36.0(00000)",
            "0-0:96.13.1()",
            "0-0:96.13.0()",
            "1-0:31.7.0(000*A)",
            "1-0:21.7.0(00.143*kW)",
            "1-0:22.7.0(00.000*kW)",
        )
    )
    + "!74B0\n"
)


def test_masked_document_telegram_is_refused_naming_both_crcs() -> None:
    with pytest.raises(TelegramError) as refusal:
        parse_telegram(MASKED_KAIFA, now=NOW)
    assert "74B0" in str(refusal.value)
    assert "A97E" in str(refusal.value)


def test_masked_document_telegram_without_crc_check_has_no_id() -> None:
    telegram = parse_telegram(MASKED_KAIFA, now=NOW, check_crc=False)
    assert telegram.electricity.equipment_id is None
    assert telegram.electricity.values["import_t2_kwh"] == Decimal("1263.199")


def test_partial_telegram_before_the_header_is_discarded() -> None:
    streamed = parse("dsmrreader_stream_partial_then_kaifa_dsmr42.txt")
    alone = parse("dsmrreader_kaifa_dsmr42_api_v1.txt")
    assert streamed == alone
    assert streamed.text.startswith("/KFM5KAIFA-METER\r\n")


def test_restarted_telegram_gives_the_complete_one() -> None:
    # The first telegram breaks off mid-line and the meter starts over (a second `/`); the reading is
    # the second telegram's. These are the values DSMR-reader's own test asserts for this stream.
    telegram = parse("dsmrreader_iskra_am550_dsmr50_garbled.txt")
    assert telegram.electricity.timestamp == datetime(2017, 1, 10, 19, 40, 57, tzinfo=UTC)
    assert telegram.electricity.values["import_t1_kwh"] == Decimal("9012.345")
    assert telegram.electricity.values["export_t2_kwh"] == Decimal("9789.012")
    assert telegram.electricity.values["import_kw"] == Decimal("0.320")
    [gas] = telegram.devices
    assert (gas.timestamp, gas.values["gas_m3"]) == (
        datetime(2017, 1, 10, 19, 40, 9, tzinfo=UTC),
        Decimal("123.456"),
    )


def test_future_timestamp_is_refused() -> None:
    with pytest.raises(TelegramError, match="more than 24 hours"):
        parse("dsmrreader_landisgyr_dsmr40_future_timestamp.txt")


def test_future_gas_timestamp_is_refused() -> None:
    text = with_crc(
        read("dsmrreader_netbeheer_example_dsmr50.txt").replace("(101209112500W)", "(301209112500W)")
    )
    with pytest.raises(TelegramError, match="M-Bus channel 1"):
        parse_telegram(text, now=NOW)


def test_telegram_without_clock_is_stamped_now() -> None:
    telegram = parse_telegram(read("dsmrparser_v2_2_iskra_mt382.txt"), now=NOW)
    assert telegram.electricity.timestamp == NOW


def test_single_register_counts_on_tariff_1_with_tariff_2_at_zero() -> None:
    values = parse("dsmrreader_luxembourg_smarty.txt").electricity.values
    assert values["import_t1_kwh"] == Decimal("5675.956")
    assert values["export_t1_kwh"] == Decimal("0.002")
    assert values["import_t2_kwh"] == values["export_t2_kwh"] == 0


def test_watt_registers_are_read_in_kilowatts() -> None:
    values = parse("dsmrparser_sagemcom_t210_d_r.txt").electricity.values
    assert values["import_t1_kwh"] == Decimal("5017.120")
    assert values["import_kw"] == Decimal("0.286")


def test_heat_meter_reading_is_heat() -> None:
    telegram = parse("dsmrparser_v5_warmtelink_unpadded_crc.txt")
    [heat] = telegram.devices
    assert (heat.meter_type, heat.channel, dict(heat.values)) == (
        MeterType.HEAT,
        1,
        {"heat_gj": Decimal("240.860")},
    )
    assert telegram.electricity.values == {}


def test_hex_equipment_ids_are_decoded() -> None:
    telegram = parse("dsmrreader_netbeheer_example_dsmr50.txt")
    assert telegram.electricity.equipment_id == "K8EG004046395507"
    assert telegram.devices[0].equipment_id == "2222ABCD123456789"
    # Hex of unprintable bytes stays as sent.
    assert parse("dsmrparser_v4_2_kaifa.txt").electricity.equipment_id == "3960221976967177082151037881335713"


def test_fluvius_version_is_the_dsmr_version() -> None:
    # DSMR-reader leaves dsmr_version empty for Fluvius meters; this adapter reports their 0-0:96.1.4.
    assert parse("dsmrreader_fluvius.txt").statistics.dsmr_version == "50213"
    assert parse("dsmrreader_fluvius_with_peak_data.txt").statistics.dsmr_version == "50217"


def test_never_read_mbus_channel_is_no_device() -> None:
    telegram = parse("dsmrparser_v5_iskra_am550_two_mbus.txt")
    assert [d.channel for d in telegram.devices] == [2]


def test_gas_reading_with_an_invalid_time_is_dropped() -> None:
    # dsmr-parser's test_gas_timestamp_invalid: the gas line replaced by one with an impossible time.
    text = read("dsmrparser_v5_iskra_mt382.txt").replace(
        "0-1:24.2.1(170102161005W)(00000.107*m3)\r\n", "0-1:24.2.1(632525252525S)(00000.000)\r\n"
    )
    telegram = parse_telegram(text.replace("!6EEE", "!90C2"), now=NOW)
    assert telegram.devices == ()


def test_water_meter_is_left_out_until_a_role_holds_it() -> None:
    telegram = parse("dsmrparser_fluvius_v171.txt")
    assert [(d.channel, d.meter_type) for d in telegram.devices] == [(1, MeterType.GAS)]


def test_samples_are_immutable() -> None:
    telegram = parse("dsmrreader_netbeheer_example_dsmr50.txt")
    with pytest.raises(TypeError):
        telegram.electricity.values["import_kw"] = Decimal(0)  # type: ignore[index]


NETBEHEER = read("dsmrreader_netbeheer_example_dsmr50.txt")
V2_2 = read("dsmrparser_v2_2_iskra_mt382.txt")
END = NETBEHEER.index("!C2AA") + len("!C2AA")


def damaged() -> Iterator[Any]:
    """Texts that are no acceptable telegram, each with the check it should fail."""
    yield pytest.param("", id="empty")
    yield pytest.param("\x00" * 64, id="only-nul")
    yield pytest.param("\x00 \r\n\t \x00", id="nul-and-whitespace")
    yield pytest.param("hello world", id="garbage")
    yield pytest.param("no header here\r\n1-0:1.8.1(000001.000*kWh)\r\n!ABCD\r\n", id="no-header")
    yield pytest.param("/", id="slash-only")
    yield pytest.param("!C2AA", id="end-line-only")
    yield pytest.param(NETBEHEER.split("\r\n!")[0], id="no-end-line")
    yield pytest.param(NETBEHEER[:END] + "0", id="crc-five-digits")
    yield pytest.param(NETBEHEER.replace("!C2AA", "!C2AZ"), id="crc-not-hex")
    yield pytest.param(NETBEHEER.replace("!C2AA", "!0000"), id="crc-wrong")
    yield pytest.param(NETBEHEER.replace("!C2AA", "!"), id="crc-missing")
    yield pytest.param(NETBEHEER.replace("123456.789", "123456.788", 1), id="digit-changed")
    yield pytest.param(NETBEHEER.replace("/ISk5", "/ISk6"), id="header-changed")
    yield pytest.param(NETBEHEER.replace("1-0:2.7.0(00.000*kW)\r\n", ""), id="line-removed")
    yield pytest.param(
        NETBEHEER.replace("1-0:2.7.0(00.000*kW)\r\n", "1-0:2.7.0(00.000*kW)\r\n" * 2), id="line-twice"
    )
    yield pytest.param(NETBEHEER + NETBEHEER, id="two-telegrams")
    yield pytest.param("x" * 100_000 + NETBEHEER, id="huge-input")
    yield pytest.param(NETBEHEER.replace("/ISk5", "/ISk\u20ac"), id="not-latin-1")
    for damage, replace in {
        "letters-in-value": ("123456.789*kWh", "12345A.789*kWh"),
        "non-ascii-in-value": ("123456.789*kWh", "12345\u00e9.789*kWh"),
        "nul-in-value": ("123456.789*kWh", "12345\x00.789*kWh"),
        "empty-value": ("(123456.789*kWh)", "()"),
        "two-units": ("(01.193*kW)", "(01.193*kW*kW)"),
        "wrong-unit": ("123456.789*kWh", "123456.789*m3"),
        "nan": ("(01.193*kW)", "(NaN*kW)"),
        "exponent": ("(01.193*kW)", "(1E3*kW)"),
        "huge-number": ("(01.193*kW)", "(" + "9" * 40 + "*kW)"),
        "unclosed-value": ("1-0:1.7.0(01.193*kW)", "1-0:1.7.0(01.193*kW"),
        "no-value-groups": ("1-0:1.7.0(01.193*kW)", "1-0:1.7.0"),
        "garbage-line": ("1-0:2.7.0(00.000*kW)", "garbage"),
        "bad-obis-code": ("1-0:2.7.0(00.000*kW)", "1-0:2.7(00.000*kW)"),
        "impossible-time": ("(101209113020W)", "(101309113020W)"),
        "bad-dst-flag": ("(101209113020W)", "(101209113020X)"),
        "no-clock-line": ("0-0:1.0.0(101209113020W)\r\n", ""),
        "tariff-not-number": ("0-0:96.14.0(0002)", "0-0:96.14.0(00A2)"),
        "count-not-number": ("0-0:96.7.21(00004)", "0-0:96.7.21(0000x)"),
        "device-type-not-number": ("0-1:24.1.0(003)", "0-1:24.1.0(gas)"),
        "gas-not-number": ("(12785.123*m3)", "(12785,123*m3)"),
        "gas-bad-group": ("(12785.123*m3)", "(12785.123 m3)"),
        "gas-one-group": ("(101209112500W)(12785.123*m3)", "(12785.123*m3)"),
        "huge-line": ("0-0:96.13.0(", "0-0:96.13.0(" + "3" * 70_000),
    }.items():
        old, new = replace
        assert old in NETBEHEER
        yield pytest.param(with_crc(NETBEHEER.replace(old, new, 1)), id=damage)
    # DSMR 2.2 has no CRC: only the lines themselves show the damage.
    yield pytest.param(V2_2.replace("(0001.01*kW)", "(0001.0"), id="v22-line-cut")
    yield pytest.param(V2_2.replace("(0001.01*kW)", "(0001.O1*kW)"), id="v22-letter-in-value")
    yield pytest.param(V2_2.replace("(00001.001)\r\n", "(00001.0x1)\r\n"), id="v22-gas-not-number")
    yield pytest.param(V2_2.replace("1-0:2.7.0", "1-0:2.7.0 "), id="v22-space-in-code")
    yield pytest.param("/ISk5\\2MT382-1004\r\n\r\n!\r\n", id="v22-no-readings")
    yield pytest.param(
        V2_2.replace("0-0:96.1.1(00000000000000)", "0-0:1.0.0(161107190000W)"), id="v22-clock-no-crc"
    )


def test_a_telegram_whose_line_endings_became_lf_is_told_so() -> None:
    with pytest.raises(TelegramError, match=r"line endings were changed on the way \(LF instead of CRLF\)"):
        parse_telegram(NETBEHEER.replace("\r\n", "\n"), now=NOW)


def test_a_telegram_with_lf_endings_and_other_damage_is_altered_or_cut() -> None:
    with pytest.raises(TelegramError, match="altered or cut"):
        parse_telegram(NETBEHEER.replace("\r\n", "\n").replace("!C2AA", "!0000"), now=NOW)


@pytest.mark.parametrize("joint", ["", " "])
def test_a_telegram_whose_lines_were_joined_is_told_it_has_no_line_breaks(joint: str) -> None:
    with pytest.raises(TelegramError, match="no line breaks"):
        parse_telegram(NETBEHEER.replace("\r\n", joint), now=NOW)


@pytest.mark.parametrize("text", list(damaged()))
def test_damage_is_refused(text: str) -> None:
    with pytest.raises(TelegramError) as refusal:
        parse_telegram(text, now=NOW)
    assert str(refusal.value)


def test_every_truncation_is_refused() -> None:
    for cut in range(END):
        with pytest.raises(TelegramError):
            parse_telegram(NETBEHEER[:cut], now=NOW)


def test_every_changed_character_is_refused() -> None:
    for at in range(END):
        changed = NETBEHEER[:at] + chr(ord(NETBEHEER[at]) ^ 1) + NETBEHEER[at + 1 :]
        with pytest.raises(TelegramError):
            parse_telegram(changed, now=NOW)


@pytest.mark.parametrize("name", ACCEPTED)
def test_random_damage_without_crc_raises_only_telegram_error(name: str) -> None:
    rng = random.Random(name)
    text = read(name)
    alphabet = "()*:.-!/\r\n\x00 0123456789ABCDEFSWsw\u00ab\u20ac"
    for _ in range(300):
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            operation = rng.randrange(3)
            if operation == 0:
                del chars[at]
            elif operation == 1:
                chars.insert(at, rng.choice(alphabet))
            else:
                chars[at] = rng.choice(alphabet)
        with contextlib.suppress(TelegramError):
            parse_telegram("".join(chars), now=NOW, check_crc=False)
