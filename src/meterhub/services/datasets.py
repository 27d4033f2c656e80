"""Datasets and their datastreams: set up, listed, changed and deleted by whoever may.

One who may not even read a dataset hears what an unknown id gets, so that other users' ids cannot
be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from meterhub.auth.access import Access, Principal, require_dataset, require_site
from meterhub.core.datatypes import Datatype
from meterhub.core.entities import Dataset, Datastream, MessageErrors
from meterhub.core.errors import Conflict, Forbidden, NotFound
from meterhub.core.roles import Kind
from meterhub.services.broker import access_changed
from meterhub.store import datasets

if TYPE_CHECKING:
    from meterhub.platform import Platform


@dataclass(frozen=True)
class DatasetState:
    dataset: Dataset
    # The MQTT messages refused for it since the server started (None: none were).
    message_errors: MessageErrors | None


def list_datasets(platform: Platform, *, caller: Principal) -> list[DatasetState]:
    """The datasets of the sites the caller can see (those it is licensed for, for a token)."""
    with platform.db.reader.connect() as conn:
        found = datasets.list_datasets(conn, None if caller.is_admin else caller.sites)
    return [
        DatasetState(d, platform.message_errors.get(d.id))
        for d in found
        if caller.datasets is None or d.id in caller.datasets
    ]


def create_dataset(
    platform: Platform, *, caller: Principal, site_id: int, topic_prefix: str, name: str
) -> Dataset:
    """A new dataset in a site the caller administers."""
    require_site(caller, site_id, Access.ADMIN)
    with platform.db.writer.begin() as conn:
        created = datasets.add_dataset(conn, site_id=site_id, topic_prefix=topic_prefix, name=name)
    access_changed(platform)
    return created


def get_dataset(platform: Platform, *, caller: Principal, dataset_id: int) -> DatasetState:
    with platform.db.reader.connect() as conn:
        found = _dataset(conn, caller, dataset_id, Access.READ)
    return DatasetState(found, platform.message_errors.get(dataset_id))


def rename_dataset(platform: Platform, *, caller: Principal, dataset_id: int, name: str) -> Dataset:
    with platform.db.writer.begin() as conn:
        _dataset(conn, caller, dataset_id, Access.ADMIN)
        return datasets.update_dataset(conn, dataset_id, name=name)


def delete_dataset(platform: Platform, *, caller: Principal, dataset_id: int) -> None:
    """Delete a dataset with its streams and their points."""
    with platform.db.writer.begin() as conn:
        _dataset(conn, caller, dataset_id, Access.ADMIN)
        gone = [s.id for s in datasets.list_streams(conn, dataset_id)]
        datasets.delete_dataset(conn, dataset_id)
    platform.writer.forget(gone)
    access_changed(platform)


def list_datastreams(platform: Platform, *, caller: Principal, dataset_id: int) -> list[Datastream]:
    with platform.db.reader.connect() as conn:
        _dataset(conn, caller, dataset_id, Access.READ)
        return datasets.list_streams(conn, dataset_id)


def create_datastream(
    platform: Platform,
    *,
    caller: Principal,
    dataset_id: int,
    topic_suffix: str,
    datatype: Datatype,
    unit: str,
    kind: Kind,
    decimals: int,
) -> Datastream:
    with platform.db.writer.begin() as conn:
        _dataset(conn, caller, dataset_id, Access.ADMIN)
        return datasets.add_stream(
            conn,
            dataset_id=dataset_id,
            topic_suffix=topic_suffix,
            datatype=datatype,
            unit=unit,
            kind=kind,
            decimals=decimals,
        )


def get_datastream(platform: Platform, *, caller: Principal, stream_id: int) -> Datastream:
    with platform.db.reader.connect() as conn:
        return _stream(conn, caller, stream_id, Access.READ)


def change_unit(platform: Platform, *, caller: Principal, stream_id: int, unit: str) -> Datastream:
    with platform.db.writer.begin() as conn:
        _stream(conn, caller, stream_id, Access.ADMIN)
        return datasets.update_stream(conn, stream_id, unit=unit)


def delete_datastream(platform: Platform, *, caller: Principal, stream_id: int) -> None:
    """Delete a datastream and its points; a meter's streams go only with their meter."""
    with platform.db.writer.begin() as conn:
        found = _stream(conn, caller, stream_id, Access.ADMIN)
        if found.meter_id is not None:
            raise Conflict("this datastream belongs to a meter; it goes when the meter goes")
        datasets.delete_streams(conn, [stream_id])
    platform.writer.forget([stream_id])


def _dataset(conn: Connection, who: Principal, dataset_id: int, needed: Access) -> Dataset:
    found = datasets.get_dataset(conn, dataset_id)
    _require(who, found.site_id, found.id, needed, f"no dataset with id {dataset_id}")
    return found


def _stream(conn: Connection, who: Principal, stream_id: int, needed: Access) -> Datastream:
    found = datasets.get_stream(conn, stream_id)
    _require(who, found.site_id, found.dataset_id, needed, f"no datastream with id {stream_id}")
    return found


def _require(who: Principal, site_id: int, dataset_id: int, needed: Access, unknown: str) -> None:
    try:
        require_dataset(who, site_id=site_id, dataset_id=dataset_id, needed=Access.READ)
    except Forbidden:
        raise NotFound(unknown) from None
    require_dataset(who, site_id=site_id, dataset_id=dataset_id, needed=needed)
