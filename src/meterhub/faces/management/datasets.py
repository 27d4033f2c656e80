"""Datasets and their datastreams: what a user sets up before energydata.dk calls and MQTT make sense."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import Connection
from starlette.requests import Request

from meterhub.auth.access import Access, Principal, require_dataset, require_site
from meterhub.core.entities import Dataset, Datastream
from meterhub.core.errors import Conflict, Forbidden, NotFound
from meterhub.faces.management.deps import RESPONSES, Caller, access_changed, platform
from meterhub.faces.management.models import (
    DatasetId,
    DatasetIn,
    DatasetOut,
    DatasetPatch,
    DatastreamIn,
    DatastreamOut,
    DatastreamPatch,
    StreamId,
)
from meterhub.store import datasets

router = APIRouter(
    prefix="/api/meterhub/v1", tags=["meterhub: datasets and datastreams"], responses=RESPONSES
)


def _dataset(conn: Connection, who: Principal, dataset_id: DatasetId, needed: Access) -> Dataset:
    found = datasets.get_dataset(conn, dataset_id)
    _require(who, found.site_id, found.id, needed, f"no dataset with id {dataset_id}")
    return found


def _stream(conn: Connection, who: Principal, stream_id: int, needed: Access) -> Datastream:
    found = datasets.get_stream(conn, stream_id)
    _require(who, found.site_id, found.dataset_id, needed, f"no datastream with id {stream_id}")
    return found


def _require(who: Principal, site_id: int, dataset_id: int, needed: Access, unknown: str) -> None:
    """The access check; one who may not even read the dataset hears what an unknown id gets, so
    that other users' ids cannot be probed."""
    try:
        require_dataset(who, site_id=site_id, dataset_id=dataset_id, needed=Access.READ)
    except Forbidden:
        raise NotFound(unknown) from None
    require_dataset(who, site_id=site_id, dataset_id=dataset_id, needed=needed)


@router.get("/datasets", response_model=list[DatasetOut], summary="Datasets of the sites you can see")
def list_datasets(request: Request, who: Caller) -> list[DatasetOut]:
    with platform(request).db.reader.connect() as conn:
        found = datasets.list_datasets(conn, None if who.is_admin else who.sites)
    errors = platform(request).message_errors
    return [DatasetOut.of(d, errors.get(d.id)) for d in found if who.datasets is None or d.id in who.datasets]


@router.post("/datasets", status_code=201, response_model=DatasetOut, summary="Create a dataset")
def create_dataset(body: DatasetIn, request: Request, who: Caller) -> DatasetOut:
    require_site(who, body.site_id, Access.ADMIN)
    with platform(request).db.writer.begin() as conn:
        created = datasets.add_dataset(
            conn, site_id=body.site_id, topic_prefix=body.topic_prefix, name=body.name
        )
    access_changed(request)
    return DatasetOut.of(created)


@router.get("/datasets/{dataset_id}", response_model=DatasetOut, summary="One dataset")
def get_dataset(dataset_id: DatasetId, request: Request, who: Caller) -> DatasetOut:
    p = platform(request)
    with p.db.reader.connect() as conn:
        return DatasetOut.of(_dataset(conn, who, dataset_id, Access.READ), p.message_errors.get(dataset_id))


@router.patch("/datasets/{dataset_id}", response_model=DatasetOut, summary="Rename a dataset")
def update_dataset(dataset_id: DatasetId, body: DatasetPatch, request: Request, who: Caller) -> DatasetOut:
    with platform(request).db.writer.begin() as conn:
        _dataset(conn, who, dataset_id, Access.ADMIN)
        return DatasetOut.of(datasets.update_dataset(conn, dataset_id, name=body.name))


@router.delete("/datasets/{dataset_id}", status_code=204, summary="Delete a dataset, its streams and points")
def delete_dataset(dataset_id: DatasetId, request: Request, who: Caller) -> Response:
    with platform(request).db.writer.begin() as conn:
        _dataset(conn, who, dataset_id, Access.ADMIN)
        gone = [s.id for s in datasets.list_streams(conn, dataset_id)]
        datasets.delete_dataset(conn, dataset_id)
    platform(request).writer.forget(gone)
    access_changed(request)
    return Response(status_code=204)


@router.get(
    "/datasets/{dataset_id}/datastreams",
    response_model=list[DatastreamOut],
    summary="A dataset's datastreams",
)
def list_streams(dataset_id: DatasetId, request: Request, who: Caller) -> list[DatastreamOut]:
    with platform(request).db.reader.connect() as conn:
        _dataset(conn, who, dataset_id, Access.READ)
        return [DatastreamOut.of(s) for s in datasets.list_streams(conn, dataset_id)]


@router.post(
    "/datasets/{dataset_id}/datastreams",
    status_code=201,
    response_model=DatastreamOut,
    summary="Create a datastream",
)
def create_stream(dataset_id: DatasetId, body: DatastreamIn, request: Request, who: Caller) -> DatastreamOut:
    with platform(request).db.writer.begin() as conn:
        _dataset(conn, who, dataset_id, Access.ADMIN)
        created = datasets.add_stream(
            conn,
            dataset_id=dataset_id,
            topic_suffix=body.topic_suffix,
            datatype=body.datatype,
            unit=body.unit,
            kind=body.kind,
            decimals=body.decimals,
        )
    return DatastreamOut.of(created)


@router.get("/datastreams/{stream_id}", response_model=DatastreamOut, summary="One datastream")
def get_stream(stream_id: StreamId, request: Request, who: Caller) -> DatastreamOut:
    with platform(request).db.reader.connect() as conn:
        found = _stream(conn, who, stream_id, Access.READ)
    return DatastreamOut.of(found)


@router.patch("/datastreams/{stream_id}", response_model=DatastreamOut, summary="Change a datastream's unit")
def update_stream(stream_id: StreamId, body: DatastreamPatch, request: Request, who: Caller) -> DatastreamOut:
    with platform(request).db.writer.begin() as conn:
        _stream(conn, who, stream_id, Access.ADMIN)
        return DatastreamOut.of(datasets.update_stream(conn, stream_id, unit=body.unit))


@router.delete("/datastreams/{stream_id}", status_code=204, summary="Delete a datastream and its points")
def delete_stream(stream_id: StreamId, request: Request, who: Caller) -> Response:
    with platform(request).db.writer.begin() as conn:
        found = _stream(conn, who, stream_id, Access.ADMIN)
        if found.meter_id is not None:
            raise Conflict("this datastream belongs to a meter; it goes when the meter goes")
        datasets.delete_streams(conn, [stream_id])
    platform(request).writer.forget([stream_id])
    return Response(status_code=204)
