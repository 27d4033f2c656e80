"""The roles, declared once: each one's unit, decimals, kind and flow, and the flows' counters."""

from __future__ import annotations

from meterhub.core.roles import ROLES, TARIFF_REGISTERS, Flow, Kind, flow_counters

C, G = Kind.COUNTER, Kind.GAUGE
IN, OUT, PV = Flow.GRID_IMPORT, Flow.GRID_EXPORT, Flow.PRODUCTION
CHARGE, DISCHARGE, USE = Flow.BATTERY_CHARGE, Flow.BATTERY_DISCHARGE, Flow.CONSUMPTION

# name: (unit, decimals, kind, flow, tariff)
EXPECTED = {
    "import_t1_kwh": ("kWh", 3, C, IN, 1),
    "import_t2_kwh": ("kWh", 3, C, IN, 2),
    "export_t1_kwh": ("kWh", 3, C, OUT, 1),
    "export_t2_kwh": ("kWh", 3, C, OUT, 2),
    "import_kwh": ("kWh", 3, C, IN, None),
    "export_kwh": ("kWh", 3, C, OUT, None),
    "import_kw": ("kW", 3, G, IN, None),
    "export_kw": ("kW", 3, G, OUT, None),
    "import_l1_kw": ("kW", 3, G, IN, None),
    "import_l2_kw": ("kW", 3, G, IN, None),
    "import_l3_kw": ("kW", 3, G, IN, None),
    "export_l1_kw": ("kW", 3, G, OUT, None),
    "export_l2_kw": ("kW", 3, G, OUT, None),
    "export_l3_kw": ("kW", 3, G, OUT, None),
    "pv_kwh": ("kWh", 3, C, PV, None),
    "pv_kw": ("kW", 3, G, PV, None),
    "battery_charge_kwh": ("kWh", 3, C, CHARGE, None),
    "battery_discharge_kwh": ("kWh", 3, C, DISCHARGE, None),
    "battery_soc_pct": ("%", 1, G, None, None),
    "battery_v": ("V", 2, G, None, None),
    "battery_a": ("A", 2, G, None, None),
    "battery_kw": ("kW", 3, G, None, None),
    "consumption_kwh": ("kWh", 3, C, USE, None),
    "common_kwh": ("kWh", 3, C, USE, None),
    "voltage_v": ("V", 1, G, None, None),
    "current_a": ("A", 2, G, None, None),
    "power_kw": ("kW", 3, G, None, None),
    "voltage_l1_v": ("V", 1, G, None, None),
    "voltage_l2_v": ("V", 1, G, None, None),
    "voltage_l3_v": ("V", 1, G, None, None),
    "current_l1_a": ("A", 2, G, None, None),
    "current_l2_a": ("A", 2, G, None, None),
    "current_l3_a": ("A", 2, G, None, None),
    "gas_m3": ("m3", 3, C, None, None),
    "heat_gj": ("GJ", 3, C, None, None),
    "read_at_ms": ("ms", 0, G, None, None),
}


def test_every_role_has_its_unit_decimals_kind_and_flow() -> None:
    assert {name: (r.unit, r.decimals, r.kind, r.flow, r.tariff) for name, r in ROLES.items()} == EXPECTED
    # Stored as datastreams.role, a 32-character column.
    assert max(map(len, ROLES)) <= 32


def test_every_flow_counts_wh_so_its_counters_add_up() -> None:
    assert {flow: flow_counters(flow) for flow in Flow} == {
        IN: ("import_t1_kwh", "import_t2_kwh", "import_kwh"),
        OUT: ("export_t1_kwh", "export_t2_kwh", "export_kwh"),
        PV: ("pv_kwh",),
        CHARGE: ("battery_charge_kwh",),
        DISCHARGE: ("battery_discharge_kwh",),
        USE: ("consumption_kwh", "common_kwh"),
    }
    assert {(ROLES[r].unit, ROLES[r].decimals) for flow in Flow for r in flow_counters(flow)} == {("kWh", 3)}


def test_dsmr_readers_registers_are_the_grid_flows_split_by_tariff() -> None:
    assert TARIFF_REGISTERS == ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh")
    assert flow_counters(IN, 2) == ("import_t2_kwh",) and flow_counters(PV, 1) == ()
