"""What each measured quantity is: the roles a datastream can play, declared once.

A role fixes the quantity's unit, how many decimals a meter reports (points are stored as
integers in units of 10**-decimals, so arithmetic on them is exact) and whether the value is a
counter (a register that only grows; aggregated as deltas) or a gauge (an instantaneous value;
aggregated as mean/min/max).

An energy role also names its flow: which way the energy goes at the site (from the grid, to it,
from the panels, into or out of the battery, into a consumer). Statistics ask for a flow's energy
per period whatever meters or devices report it; DSMR-reader's four registers are the grid flows
split by tariff. Every flow's counters count kWh to three decimals (Wh), so their sums add up.
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


class Flow(StrEnum):
    """Which way a role's energy goes at the site. The grid connection is Climkit's "introduction"."""

    GRID_IMPORT = "grid_import"
    GRID_EXPORT = "grid_export"
    PRODUCTION = "production"
    BATTERY_CHARGE = "battery_charge"
    BATTERY_DISCHARGE = "battery_discharge"
    CONSUMPTION = "consumption"


@dataclass(frozen=True)
class Role:
    name: str
    kind: Kind
    unit: str
    decimals: int
    meter_type: MeterType
    description: str
    # The energy flow the role measures (a power gauge: the flow it is the rate of); None for the rest.
    flow: Flow | None = None
    # The meter's tariff register (1: low, 2: normal) when a flow is split by tariff.
    tariff: int | None = None


def _role(
    name: str,
    kind: Kind,
    unit: str,
    decimals: int,
    meter: MeterType,
    text: str,
    flow: Flow | None = None,
    tariff: int | None = None,
) -> Role:
    return Role(name, kind, unit, decimals, meter, text, flow, tariff)


C, G = Kind.COUNTER, Kind.GAUGE
READ_AT_ROLE = "read_at_ms"
E, GAS, HEAT = MeterType.ELECTRICITY, MeterType.GAS, MeterType.HEAT
IN, OUT, PV = Flow.GRID_IMPORT, Flow.GRID_EXPORT, Flow.PRODUCTION
CHARGE, DISCHARGE, USE = Flow.BATTERY_CHARGE, Flow.BATTERY_DISCHARGE, Flow.CONSUMPTION

ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        _role("import_t1_kwh", C, "kWh", 3, E, "energy imported from the grid, tariff 1 (NL: low)", IN, 1),
        _role("import_t2_kwh", C, "kWh", 3, E, "energy imported from the grid, tariff 2 (NL: normal)", IN, 2),
        _role("export_t1_kwh", C, "kWh", 3, E, "energy exported to the grid, tariff 1", OUT, 1),
        _role("export_t2_kwh", C, "kWh", 3, E, "energy exported to the grid, tariff 2", OUT, 2),
        # A grid connection meter with one register each way (VRM's grid meter, Climkit's introduction).
        _role("import_kwh", C, "kWh", 3, E, "energy imported from the grid", IN),
        _role("export_kwh", C, "kWh", 3, E, "energy exported to the grid", OUT),
        _role("import_kw", G, "kW", 3, E, "power imported now", IN),
        _role("export_kw", G, "kW", 3, E, "power exported now", OUT),
        _role("import_l1_kw", G, "kW", 3, E, "power imported now, phase L1", IN),
        _role("import_l2_kw", G, "kW", 3, E, "power imported now, phase L2", IN),
        _role("import_l3_kw", G, "kW", 3, E, "power imported now, phase L3", IN),
        _role("export_l1_kw", G, "kW", 3, E, "power exported now, phase L1", OUT),
        _role("export_l2_kw", G, "kW", 3, E, "power exported now, phase L2", OUT),
        _role("export_l3_kw", G, "kW", 3, E, "power exported now, phase L3", OUT),
        _role("pv_kwh", C, "kWh", 3, E, "energy produced (PV inverter or solar charger)", PV),
        _role("pv_kw", G, "kW", 3, E, "power produced now", PV),
        _role("battery_charge_kwh", C, "kWh", 3, E, "energy charged into the battery", CHARGE),
        _role("battery_discharge_kwh", C, "kWh", 3, E, "energy discharged from the battery", DISCHARGE),
        _role("battery_soc_pct", G, "%", 1, E, "battery state of charge"),
        _role("battery_v", G, "V", 2, E, "battery voltage"),
        _role("battery_a", G, "A", 2, E, "battery current (positive: charging)"),
        _role("battery_kw", G, "kW", 3, E, "battery power (positive: charging)"),
        # An energy community's meters: each member's own, and the shared parts' (stairs, lifts).
        _role("consumption_kwh", C, "kWh", 3, E, "energy a member consumed", USE),
        _role("common_kwh", C, "kWh", 3, E, "energy the common areas consumed", USE),
        _role("voltage_v", G, "V", 1, E, "voltage (single phase or a device's)"),
        _role("current_a", G, "A", 2, E, "current (single phase or a device's)"),
        _role("power_kw", G, "kW", 3, E, "power (a device's or a circuit's, positive: consumed)"),
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


def flow_counters(flow: Flow, tariff: int | None = None) -> tuple[str, ...]:
    """The counters whose energy is the flow's (those of one tariff register, if given)."""
    return tuple(
        r.name
        for r in ROLES.values()
        if r.kind is C and r.flow is flow and (tariff is None or r.tariff == tariff)
    )


# DSMR-reader's four registers: the grid flows split by tariff (import T1, T2, export T1, T2).
TARIFF_REGISTERS = tuple(
    name for flow in (IN, OUT) for tariff in (1, 2) for name in flow_counters(flow, tariff)
)
