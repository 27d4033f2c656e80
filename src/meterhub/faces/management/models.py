"""Request and response bodies of the management API (they make its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from meterhub.auth import keys
from meterhub.core import limits
from meterhub.core.costs import Usage
from meterhub.core.datatypes import Datatype
from meterhub.core.entities import Dataset, Datastream, MessageErrors
from meterhub.core.roles import Kind
from meterhub.core.text import NO_NUL_PATTERN
from meterhub.web.fields import Id, Text

# Ids and texts as meterhub keeps them (meterhub.web.fields).
SiteId = Id
DatasetId = Id
StreamId = Id
TokenId = Id
DatasetName = Annotated[str, Text(limits.DATASET_NAME)]
TopicPrefix = Annotated[str, Text(limits.TOPIC_PREFIX)]
TopicSuffix = Annotated[str, Text(limits.TOPIC_SUFFIX)]
Unit = Annotated[str, Text(limits.UNIT)]
TokenName = Annotated[str, Text(limits.CREDENTIAL_NAME)]
Email = Annotated[str, Text(limits.EMAIL)]
# Any text but NUL, as HTTP Basic's passwords (no account has one with a NUL).
Password = Annotated[str, StringConstraints(pattern=NO_NUL_PATTERN)]


class SessionIn(BaseModel):
    email: Email = Field(examples=["admin@localhost"])
    password: Password
    remember: bool = Field(False, description="a long session (30 days by default) instead of an hour's")


class NewSession(BaseModel):
    token: str = Field(description="send it as Authorization: Bearer <token>")
    expires_at: datetime = Field(description="when the token stops working (UTC)")


class DatasetIn(BaseModel):
    site_id: SiteId
    topic_prefix: TopicPrefix = Field(
        description="letters, digits, - and _; the MQTT topic prefix", examples=["my-topic-prefix"]
    )
    name: DatasetName = ""


class DatasetPatch(BaseModel):
    name: DatasetName


class MessageErrorsOut(BaseModel):
    count: int = Field(default=0, description="MQTT messages refused since the server started")
    last: str = Field(default="", description="the last refused message's topic and problem")


class DatasetOut(BaseModel):
    id: int
    site_id: int
    topic_prefix: str
    name: str
    message_errors: MessageErrorsOut

    @classmethod
    def of(cls, d: Dataset, errors: MessageErrors | None = None) -> DatasetOut:
        shown = MessageErrorsOut(count=errors.count, last=errors.last) if errors else MessageErrorsOut()
        return cls(id=d.id, site_id=d.site_id, topic_prefix=d.topic_prefix, name=d.name, message_errors=shown)


class DatastreamIn(BaseModel):
    topic_suffix: TopicSuffix = Field(
        description="parts of letters, digits, - and _ separated by /; empty for the stream on the bare prefix",
        examples=["my/topic/suffix"],
    )
    datatype: Datatype = Field(
        description="string, integer, double, or fixed (a number stored exactly to `decimals` places)"
    )
    unit: Unit = ""
    kind: Kind = Field(Kind.GAUGE, description="gauge (averaged) or counter (a growing register)")
    decimals: int = Field(0, ge=0, le=9)


class DatastreamPatch(BaseModel):
    unit: Unit


class DatastreamOut(BaseModel):
    id: int
    dataset_id: int
    topic: str
    topic_suffix: str
    datatype: str = Field(description="as energydata.dk names it: string, integer or double")
    stored_as: Datatype
    unit: str
    kind: Kind
    decimals: int
    role: str | None = Field(None, description="the meter quantity it carries, for meters' streams")

    @classmethod
    def of(cls, s: Datastream) -> DatastreamOut:
        return cls(
            id=s.id,
            dataset_id=s.dataset_id,
            topic=s.topic,
            topic_suffix=s.topic_suffix,
            datatype=s.datatype.public,
            stored_as=s.datatype,
            unit=s.unit,
            kind=s.kind,
            decimals=s.decimals,
            role=s.role,
        )


class TokenIn(BaseModel):
    name: TokenName = ""
    permissions: list[str] = Field(
        ["read"], description="read, write, mqtt-pubsub, batch-import (admin for this API)"
    )
    datasets: list[DatasetId] = Field(
        [], description="limit the token to these datasets; empty: all of its sites"
    )
    site_id: SiteId | None = Field(None, description="bind the token to one site")
    expires_days: int | None = Field(None, ge=1, le=keys.MAX_EXPIRES_DAYS)


class TokenPatch(BaseModel):
    name: TokenName | None = None
    datasets: list[DatasetId] | None = Field(
        None, description="the datasets it may use from now on; [] for all"
    )


class TokenOut(BaseModel):
    id: int
    name: str
    starts_with: str
    permissions: list[str]
    datasets: list[int]
    site_id: int | None
    expires_ms: int | None
    revoked_ms: int | None
    created_ms: int


class NewToken(TokenOut):
    token: str = Field(description="shown this once; only its hash is kept")


class EnergyOut(BaseModel):
    import_t1_kwh: str = Field(examples=["0.412"])
    import_t2_kwh: str
    export_t1_kwh: str
    export_t2_kwh: str
    gas_m3: str | None = Field(None, description="null for a site without a gas meter")

    @classmethod
    def of(cls, usage: Usage) -> EnergyOut:
        return cls(
            import_t1_kwh=_thousandths(usage.import_t1_wh),
            import_t2_kwh=_thousandths(usage.import_t2_wh),
            export_t1_kwh=_thousandths(usage.export_t1_wh),
            export_t2_kwh=_thousandths(usage.export_t2_wh),
            gas_m3=None if usage.gas_dm3 is None else _thousandths(usage.gas_dm3),
        )


def _thousandths(units: int) -> str:
    """Wh as kWh (dm3 as m3), exact: "0.412"."""
    return f"{Decimal(units).scaleb(-3):f}"


class PeriodOut(BaseModel):
    start: str = Field(
        description="the bucket's start in the site's time zone", examples=["2026-02-03T10:00:00+01:00"]
    )
    end: str
    usage: EnergyOut
    estimated: bool = Field(
        description="part of the usage was spread over this period from two readings more than an hour "
        "apart (the datalogger was offline): the total is the meters', its split over time is not"
    )
    estimated_usage: EnergyOut = Field(description="that part")


class UsageOut(BaseModel):
    site_id: int
    timezone: str
    period: str
    count: int = Field(description="how many periods between start and end have data")
    results: list[PeriodOut]
