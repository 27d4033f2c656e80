"""Upstream's serializers, one row per field: what DRF says of each in the OpenAPI document's
components and in OPTIONS' `actions` (SimpleMetadata), both made from these rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# DRF's field classes, as SimpleMetadata names them.
INTEGER, DECIMAL, DATETIME, DATE, STRING = "integer", "decimal", "datetime", "date", "string"


@dataclass(frozen=True)
class Field:
    """A serializer field as DRF sees it (the model field's verbose name is the label)."""

    name: str
    kind: str
    label: str
    help_text: str = ""
    required: bool = False
    read_only: bool = False
    nullable: bool = False
    digits: int | None = None  # a DecimalField's max_digits, and its decimal_places
    places: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Serializer:
    """A model serializer: its component name (the class name without "Serializer") and fields."""

    name: str
    fields: tuple[Field, ...]

    def __getitem__(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


ID = Field("id", INTEGER, "ID", read_only=True)


def _kwh(name: str, label: str, help_text: str = "", **more: Any) -> Field:
    return Field(name, DECIMAL, label, help_text, digits=9, places=3, **more)


def _phases(name: str, label: str, help_text: str, **more: Any) -> tuple[Field, ...]:
    """Fields for phases L1 to L3 whose name, label and help text hold the phase's number as {}."""
    return tuple(
        Field(name.format(n), label=label.format(n), help_text=help_text.format(n), nullable=True, **more)
        for n in (1, 2, 3)
    )


_VOLTAGES = _phases(
    "phase_voltage_l{}",
    "Phase voltage l{}",
    "Current voltage for phase L{} (in V)",
    kind=DECIMAL,
    digits=4,
    places=1,
)
_CURRENTS = _phases(
    "phase_power_current_l{}",
    "Phase power current l{}",
    "Power/current for phase L{} (in A)",
    kind=INTEGER,
    min_value=0,
    max_value=999,
)
_KW = {"kind": DECIMAL, "digits": 9, "places": 3}
_TARIFFS = {"1": "Dutch users: low tariff", "2": "normal tariff"}

DSMR_READING = Serializer(
    "DsmrReading",
    (
        ID,
        Field(
            "timestamp",
            DATETIME,
            "Timestamp",
            "Timestamp indicating when the reading was taken, according to the smart meter",
            required=True,
        ),
        *(
            _kwh(
                f"electricity_{way}_{n}",
                f"Electricity {way} {n}",
                f"Meter position stating electricity {way} ({tariff}) in kWh",
                required=True,
            )
            for n, tariff in _TARIFFS.items()
            for way in ("delivered", "returned")
        ),
        *(
            _kwh(
                f"electricity_currently_{way}",
                f"Electricity currently {way}",
                f"Current electricity {way} in kW",
                required=True,
            )
            for way in ("delivered", "returned")
        ),
        *_phases(
            "phase_currently_delivered_l{}",
            "Phase currently delivered l{}",
            "Current electricity used by phase L{} (in kW)",
            **_KW,
        ),
        Field(
            "extra_device_timestamp",
            DATETIME,
            "Extra device timestamp",
            "Last timestamp read from the extra device connected (gas meter)",
            nullable=True,
        ),
        _kwh(
            "extra_device_delivered",
            "Extra device delivered",
            "Last value read from the extra device connected (gas meter)",
            nullable=True,
        ),
        *_phases(
            "phase_currently_returned_l{}",
            "Phase currently returned l{}",
            "Current electricity returned by phase L{} (in kW)",
            **_KW,
        ),
        *_VOLTAGES,
        *_CURRENTS,
    ),
)


def _count(name: str, help_text: str) -> Field:
    return Field(name, INTEGER, name.capitalize().replace("_", " "), help_text, nullable=True)


_POLYPHASE = " (polyphase meters only)"

METER_STATISTICS = Serializer(
    "MeterStatistics",
    (
        ID,
        Field("timestamp", DATETIME, "Timestamp", "Timestamp indicating when the reading was taken"),
        Field("dsmr_version", STRING, "Dsmr version", "DSMR version", nullable=True, max_length=2),
        _count(
            "electricity_tariff",
            "Tariff indicator electricity. The tariff indicator can be used to switch tariff  dependent loads "
            "e.g boilers. This is responsibility of the P1 user.",
        ),
        _count("power_failure_count", "Number of power failures in any phase"),
        _count("long_power_failure_count", "Number of long power failures in any phase"),
        *(
            _count(
                f"voltage_{kind}_count_l{n}",
                f"Number of voltage {words} in phase L{n}{_POLYPHASE if n > 1 else ''}",
            )
            for kind, words in (("sag", "sags/dips"), ("swell", "swells"))
            for n in (1, 2, 3)
        ),
        Field(
            "rejected_telegrams",
            INTEGER,
            "Rejected telegrams",
            "Number of rejected telegrams due to invalid CRC checksum",
        ),
        Field(
            "latest_telegram",
            STRING,
            "Latest telegram",
            "The latest telegram succesfully read. Please note that only the latest telegram is saved here "
            "and will be overwritten each time.",
            nullable=True,
        ),
    ),
)

_UNUSED = "Set to zero when: Unused / Defined in other contract / Not applicable to your situation"


def _price(name: str, label: str, help_text: str = _UNUSED, min_value: int | None = 0) -> Field:
    return Field(name, DECIMAL, label, help_text, digits=11, places=6, min_value=min_value)


ENERGY_SUPPLIER_PRICE = Serializer(
    "EnergySupplierPrice",
    (
        ID,
        Field("start", DATE, "Contract start", required=True),
        Field(
            "end",
            DATE,
            "Contract end",
            "Set to a far future date when there is not contract end.",
            required=True,
        ),
        Field(
            "description",
            STRING,
            "Contract name",
            "For your own reference, i.e. the name of your supplier",
            required=True,
            max_length=255,
        ),
        _price("electricity_delivered_1_price", "Tariff 1 delivered price (€/kWh)"),
        _price("electricity_delivered_2_price", "Tariff 2 delivered price (€/kWh)"),
        _price("gas_price", "Gas price (€/m³)"),
        _price("electricity_returned_1_price", "Tariff 1 returned price (€/kWh)"),
        _price("electricity_returned_2_price", "Tariff 2 returned price (€/kWh)"),
        _price(
            "fixed_daily_cost",
            "Fixed daily costs (€/day)",
            f"Both positive and negative prices allowed. {_UNUSED}",
            min_value=None,
        ),
    ),
)

_READ_AT = Field("read_at", DATETIME, "Read at", required=True)
_POWER = {"delivered": "+P", "returned": "-P"}

ELECTRICITY_CONSUMPTION = Serializer(
    "ElectricityConsumption",
    (
        ID,
        _READ_AT,
        *(
            _kwh(
                f"{way}_{n}",
                f"{way.capitalize()} {n}",
                f"Meter Reading electricity delivered {'to' if way == 'delivered' else 'by'} client ({tariff}) in 0,001 kWh",
                required=True,
            )
            for n, tariff in _TARIFFS.items()
            for way in ("delivered", "returned")
        ),
        _kwh(
            "currently_delivered",
            "Currently delivered",
            "Actual electricity power delivered (+P) in 1 Watt resolution",
            required=True,
        ),
        _kwh(
            "currently_returned",
            "Currently returned",
            "Actual electricity power received (-P) in 1 Watt resolution",
            required=True,
        ),
        *(
            field
            for way, sign in _POWER.items()
            for field in _phases(
                f"phase_currently_{way}_l{{}}",
                f"Phase currently {way} l{{}}",
                f"Instantaneous active power L{{}} ({sign}) in W resolution",
                **_KW,
            )
        ),
        *_VOLTAGES,
        *_CURRENTS,
    ),
)

QUARTER_HOUR_PEAK = Serializer(
    "QuarterHourPeakElectricityConsumption",
    (
        ID,
        Field(
            "read_at_start",
            DATETIME,
            "Start",
            "The timestamp of the first reading used for average calculation",
            required=True,
        ),
        Field(
            "read_at_end",
            DATETIME,
            "End",
            "The timestamp of the last reading used for average calculation",
            required=True,
        ),
        _kwh(
            "average_delivered",
            "Average quarter peak consumption",
            "In kW. Calculated by tracking the kWh/15m consumption during the given start/end and multiplying it by 4",
            required=True,
        ),
    ),
)

GAS_CONSUMPTION = Serializer(
    "GasConsumption",
    (
        ID,
        _READ_AT,
        _kwh("delivered", "Delivered", "Last meter position read", required=True),
        _kwh(
            "currently_delivered",
            "Currently delivered",
            "Delivered value, based on the previous reading",
            required=True,
        ),
    ),
)

_DIFF = "The difference between the first and last reading of the day"
_FIRST = "The first absolute meter position read at the start of the day"
_USAGE = {
    "electricity1": "Electricity tariff 1",
    "electricity2": "Electricity tariff 2",
    "electricity1_returned": "Electricity tariff 1 returned",
    "electricity2_returned": "Electricity tariff 2 returned",
}


def _money(name: str, label: str, **more: Any) -> Field:
    return Field(name, DECIMAL, label, digits=8, places=2, **more)


def _temperature(kind: str) -> Field:
    return Field(
        f"{kind}_temperature", DECIMAL, f"{kind.capitalize()} temperature", digits=4, places=1, nullable=True
    )


def _first_reading(name: str, label: str) -> Field:
    return _kwh(f"{name}_reading", label, _FIRST, nullable=True)


DAY_STATISTICS = Serializer(
    "DayStatistics",
    (
        ID,
        Field("day", DATE, "Date", required=True),
        *(_kwh(name, f"{label} diff", _DIFF, required=True) for name, label in _USAGE.items()),
        _money("electricity1_cost", "Electricity tariff 1 cost", required=True),
        _money("electricity2_cost", "Electricity tariff 2 cost", required=True),
        _kwh("gas", "Gas diff", _DIFF, nullable=True),
        _money("gas_cost", "Gas cost", nullable=True),
        *(_temperature(kind) for kind in ("lowest", "highest", "average")),
        _money("fixed_cost", "Fixed cost"),
        _money("total_cost", "Total cost", required=True),
        Field(
            "electricity_reading_timestamp",
            DATETIME,
            "Electricity reading timestamp",
            "When the first absolute meter position (for electricity) was read at the start of the day",
            nullable=True,
        ),
        # (upstream's model labels both returned readings as the delivered ones)
        _first_reading("electricity1", "Electricity tariff 1 reading"),
        _first_reading("electricity2", "Electricity tariff 2 reading"),
        _first_reading("electricity1_returned", "Electricity tariff 1 reading"),
        _first_reading("electricity2_returned", "Electricity tariff 2 reading"),
        Field(
            "gas_reading_timestamp",
            DATETIME,
            "Gas reading timestamp",
            "When the first absolute meter position (for gas) was read at the start of the day",
            nullable=True,
        ),
        _first_reading("gas", "Gas reading"),
    ),
)

HOUR_STATISTICS = Serializer(
    "HourStatistics",
    (
        ID,
        Field("hour_start", DATETIME, "Hour start", required=True),
        *(
            _kwh(f"electricity{n}{way}", f"Electricity {n}{way.replace('_', ' ')} ({tariff})", required=True)
            for way in ("", "_returned")
            for n, tariff in (("1", "Dutch users: low tariff"), ("2", "Dutch users: normal tariff"))
        ),
        _kwh("gas", "Gas"),
    ),
)


def component(serializer: Serializer) -> dict[str, Any]:
    """The serializer's schema in the document's components, in the order of DRF's AutoSchema."""
    required = [f.name for f in serializer.fields if f.required]
    found: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: _property(f) for f in serializer.fields},
    }
    if required:
        found["required"] = required
    return found


_TYPES: dict[str, dict[str, Any]] = {
    INTEGER: {"type": "integer"},
    DECIMAL: {"type": "string", "format": "decimal"},  # (COERCE_DECIMAL_TO_STRING)
    DATETIME: {"type": "string", "format": "date-time"},
    DATE: {"type": "string", "format": "date"},
    STRING: {"type": "string"},
}


def _property(field: Field) -> dict[str, Any]:
    found = dict(_TYPES[field.kind])
    if field.places is not None and field.digits is not None:
        found["multipleOf"] = float(f".{'0' * (field.places - 1)}1")
        found["maximum"] = int("9" * (field.digits - field.places)) + 1
        found["minimum"] = -found["maximum"]
    if field.max_value:  # (the field's own bounds, which DRF skips when they are 0)
        found["maximum"] = field.max_value
    if field.read_only:
        found["readOnly"] = True
    if field.nullable:
        found["nullable"] = True
    if field.help_text:
        found["description"] = field.help_text
    # Then the validators': they replace a bound in its place, or add it last.
    if field.max_length is not None:
        found["maxLength"] = field.max_length
    if field.max_value is not None:
        found["maximum"] = field.max_value
    if field.min_value is not None:
        found["minimum"] = field.min_value
    return found


def actions(serializer: Serializer) -> dict[str, Any]:
    """SimpleMetadata's description of the serializer's fields (DRF 3.14), OPTIONS' `actions`."""
    return {f.name: _info(f) for f in serializer.fields}


def _info(field: Field) -> dict[str, Any]:
    found: dict[str, Any] = {"type": field.kind, "required": field.required, "read_only": field.read_only}
    found["label"] = field.label
    extra = {
        "help_text": field.help_text or None,
        "max_length": field.max_length,
        "min_value": field.min_value,
        "max_value": field.max_value,
    }
    return found | {name: value for name, value in extra.items() if value is not None}
