"""What each measured quantity is: the roles a datastream can play, declared once.

A role fixes the quantity's unit, how many decimals a meter reports (points are stored as
integers in units of 10**-decimals, so arithmetic on them is exact) and whether the value is a
counter (a register that only grows; aggregated as deltas) or a gauge (an instantaneous value;
aggregated as mean/min/max).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"


class MeterType(StrEnum):
    ELECTRICITY = "electricity"
    GAS = "gas"
    HEAT = "heat"
    WATER = "water"
    OTHER = "other"


@dataclass(frozen=True)
class Role:
    name: str
    kind: Kind
    unit: str
    decimals: int
    meter_type: MeterType
    description: str


def _role(name: str, kind: Kind, unit: str, decimals: int, meter: MeterType, text: str) -> Role:
    return Role(name, kind, unit, decimals, meter, text)


C, G = Kind.COUNTER, Kind.GAUGE
READ_AT_ROLE = "read_at_ms"
E, GAS, HEAT = MeterType.ELECTRICITY, MeterType.GAS, MeterType.HEAT

ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        _role("import_t1_kwh", C, "kWh", 3, E, "energy imported from the grid, tariff 1 (NL: low)"),
        _role("import_t2_kwh", C, "kWh", 3, E, "energy imported from the grid, tariff 2 (NL: normal)"),
        _role("export_t1_kwh", C, "kWh", 3, E, "energy exported to the grid, tariff 1"),
        _role("export_t2_kwh", C, "kWh", 3, E, "energy exported to the grid, tariff 2"),
        _role("import_kw", G, "kW", 3, E, "power imported now"),
        _role("export_kw", G, "kW", 3, E, "power exported now"),
        _role("import_l1_kw", G, "kW", 3, E, "power imported now, phase L1"),
        _role("import_l2_kw", G, "kW", 3, E, "power imported now, phase L2"),
        _role("import_l3_kw", G, "kW", 3, E, "power imported now, phase L3"),
        _role("export_l1_kw", G, "kW", 3, E, "power exported now, phase L1"),
        _role("export_l2_kw", G, "kW", 3, E, "power exported now, phase L2"),
        _role("export_l3_kw", G, "kW", 3, E, "power exported now, phase L3"),
        _role("voltage_l1_v", G, "V", 1, E, "voltage, phase L1"),
        _role("voltage_l2_v", G, "V", 1, E, "voltage, phase L2"),
        _role("voltage_l3_v", G, "V", 1, E, "voltage, phase L3"),
        _role("current_l1_a", G, "A", 2, E, "current, phase L1"),
        _role("current_l2_a", G, "A", 2, E, "current, phase L2"),
        _role("current_l3_a", G, "A", 2, E, "current, phase L3"),
        _role("gas_m3", C, "m3", 3, GAS, "gas delivered (meter position)"),
        _role("heat_gj", C, "GJ", 3, HEAT, "heat delivered (meter position)"),
        # The link from a telegram to its M-Bus reading, which the device stamps with its own clock:
        # a point at the telegram's time whose value is that reading's time. On gas and heat meters.
        _role(READ_AT_ROLE, G, "ms", 0, MeterType.OTHER, "time of the reading a telegram carried (UTC ms)"),
    )
}

IMPORT_COUNTERS = ("import_t1_kwh", "import_t2_kwh")
EXPORT_COUNTERS = ("export_t1_kwh", "export_t2_kwh")
