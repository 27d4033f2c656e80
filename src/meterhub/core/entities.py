"""The domain's entities: what the store keeps and every layer passes around (the store reads and
writes them; faces and services take them without knowing how they are kept)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from meterhub.core.datatypes import Datatype
from meterhub.core.roles import Kind


@dataclass(frozen=True)
class User:
    """A person who signs in (argon2id password hash) and is a member of sites."""

    id: int
    email: str
    name: str
    is_admin: bool
    password_hash: str


@dataclass(frozen=True)
class Site:
    """A place with meters (a household, a PV roof): its IANA time zone makes its local hours and days."""

    id: int
    name: str
    timezone: str
    api_enabled: bool
    address: str = ""
    # Degrees north and east (WGS 84); None until someone says where the site is.
    latitude: float | None = None
    longitude: float | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Credential:
    """An API key or token of a user: its scopes, the site it may be bound to, its expiry and revocation."""

    id: int
    user_id: int
    kind: str
    name: str
    hint: str
    scopes: frozenset[str]
    site_id: int | None
    expires_ms: int | None
    revoked_ms: int | None
    created_ms: int


@dataclass(frozen=True)
class Dataset:
    """energydata.dk's dataset: a site's group of datastreams under one MQTT topic prefix."""

    id: int
    site_id: int
    topic_prefix: str
    name: str


@dataclass(frozen=True)
class Datastream:
    """One series of values (a meter register, a sensor) with its datatype, unit and decimals."""

    id: int
    dataset_id: int
    site_id: int
    topic_prefix: str
    topic_suffix: str
    datatype: Datatype
    unit: str
    decimals: int
    kind: Kind
    meter_id: int | None
    role: str | None

    @property
    def topic(self) -> str:
        """The stream's full MQTT topic (the prefix alone for the bare-prefix stream)."""
        return f"{self.topic_prefix}/{self.topic_suffix}" if self.topic_suffix else self.topic_prefix


@dataclass(frozen=True)
class Meter:
    """A site's meter, known by its equipment id; a new equipment id is a new meter."""

    id: int
    site_id: int
    meter_type: str
    equipment_id: str
    protocol: str
    created_ms: int


class DeviceKind(StrEnum):
    GATEWAY = "gateway"
    INVERTER = "inverter"
    BATTERY_MONITOR = "battery_monitor"
    SOLAR_CHARGER = "solar_charger"
    METER = "meter"
    OTHER = "other"


@dataclass(frozen=True)
class Device:
    """A site's equipment that reports on itself: an inverter, a battery monitor, a gateway, a meter.

    A meter's device (`meter_id`) has the meter's streams; any other device's streams name it."""

    id: int
    site_id: int
    kind: DeviceKind
    product_name: str
    instance: int | None
    identifier: str
    firmware_version: str
    last_contact_ms: int | None
    meter_id: int | None
    created_ms: int


@dataclass(frozen=True)
class Import:
    """A batch CSV import: its state, progress and problems."""

    id: int
    user_id: int
    credential_id: int | None
    name: str
    status: str
    created_ms: int
    updated_ms: int
    file_bytes: int | None
    done: int
    total: int
    rows: int | None
    values: int | None
    error_count: int
    errors: list[dict[str, Any]]
    message: str | None


@dataclass
class MessageErrors:
    """The MQTT messages of a dataset that could not be stored since the server started (counted in
    memory, not stored): how many, and the last one's problem."""

    count: int = 0
    last: str = ""

    def add(self, topic: str, error: Exception) -> None:
        self.count += 1
        self.last = f"{topic}: {error}"
