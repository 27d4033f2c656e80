"""DSMR-reader wire names ↔ meterhub roles, one row per field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadingField:
    wire: str
    role: str
    decimals: int
    required: bool = False
    integer: bool = False


# DsmrReading fields in the real service's model order (the JSON keeps this order).
READING_FIELDS: tuple[ReadingField, ...] = (
    ReadingField("electricity_delivered_1", "import_t1_kwh", 3, required=True),
    ReadingField("electricity_returned_1", "export_t1_kwh", 3, required=True),
    ReadingField("electricity_delivered_2", "import_t2_kwh", 3, required=True),
    ReadingField("electricity_returned_2", "export_t2_kwh", 3, required=True),
    ReadingField("electricity_currently_delivered", "import_kw", 3, required=True),
    ReadingField("electricity_currently_returned", "export_kw", 3, required=True),
    ReadingField("phase_currently_delivered_l1", "import_l1_kw", 3),
    ReadingField("phase_currently_delivered_l2", "import_l2_kw", 3),
    ReadingField("phase_currently_delivered_l3", "import_l3_kw", 3),
)
# extra_device_timestamp / extra_device_delivered sit between these two groups on the wire.
READING_FIELDS_AFTER_GAS: tuple[ReadingField, ...] = (
    ReadingField("phase_currently_returned_l1", "export_l1_kw", 3),
    ReadingField("phase_currently_returned_l2", "export_l2_kw", 3),
    ReadingField("phase_currently_returned_l3", "export_l3_kw", 3),
    ReadingField("phase_voltage_l1", "voltage_l1_v", 1),
    ReadingField("phase_voltage_l2", "voltage_l2_v", 1),
    ReadingField("phase_voltage_l3", "voltage_l3_v", 1),
    ReadingField("phase_power_current_l1", "current_l1_a", 2, integer=True),
    ReadingField("phase_power_current_l2", "current_l2_a", 2, integer=True),
    ReadingField("phase_power_current_l3", "current_l3_a", 2, integer=True),
)
ALL_READING_FIELDS = READING_FIELDS + READING_FIELDS_AFTER_GAS
GAS_ROLE = "gas_m3"
