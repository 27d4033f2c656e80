"""Datasets and their datastreams: what a user sets up before energydata.dk calls and MQTT make sense."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.requests import Request

from meterhub.faces.management.deps import RESPONSES, Caller
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
from meterhub.services import datasets
from meterhub.web.app_state import platform

router = APIRouter(
    prefix="/api/meterhub/v1", tags=["meterhub: datasets and datastreams"], responses=RESPONSES
)


@router.get("/datasets", response_model=list[DatasetOut], summary="Datasets of the sites you can see")
def list_datasets(request: Request, who: Caller) -> list[DatasetOut]:
    return [
        DatasetOut.of(s.dataset, s.message_errors)
        for s in datasets.list_datasets(platform(request), caller=who)
    ]


@router.post("/datasets", status_code=201, response_model=DatasetOut, summary="Create a dataset")
def create_dataset(body: DatasetIn, request: Request, who: Caller) -> DatasetOut:
    created = datasets.create_dataset(
        platform(request), caller=who, site_id=body.site_id, topic_prefix=body.topic_prefix, name=body.name
    )
    return DatasetOut.of(created)


@router.get("/datasets/{dataset_id}", response_model=DatasetOut, summary="One dataset")
def get_dataset(dataset_id: DatasetId, request: Request, who: Caller) -> DatasetOut:
    found = datasets.get_dataset(platform(request), caller=who, dataset_id=dataset_id)
    return DatasetOut.of(found.dataset, found.message_errors)


@router.patch("/datasets/{dataset_id}", response_model=DatasetOut, summary="Rename a dataset")
def update_dataset(dataset_id: DatasetId, body: DatasetPatch, request: Request, who: Caller) -> DatasetOut:
    renamed = datasets.rename_dataset(platform(request), caller=who, dataset_id=dataset_id, name=body.name)
    return DatasetOut.of(renamed)


@router.delete("/datasets/{dataset_id}", status_code=204, summary="Delete a dataset, its streams and points")
def delete_dataset(dataset_id: DatasetId, request: Request, who: Caller) -> Response:
    datasets.delete_dataset(platform(request), caller=who, dataset_id=dataset_id)
    return Response(status_code=204)


@router.get(
    "/datasets/{dataset_id}/datastreams",
    response_model=list[DatastreamOut],
    summary="A dataset's datastreams",
)
def list_streams(dataset_id: DatasetId, request: Request, who: Caller) -> list[DatastreamOut]:
    found = datasets.list_datastreams(platform(request), caller=who, dataset_id=dataset_id)
    return [DatastreamOut.of(s) for s in found]


@router.post(
    "/datasets/{dataset_id}/datastreams",
    status_code=201,
    response_model=DatastreamOut,
    summary="Create a datastream",
)
def create_stream(dataset_id: DatasetId, body: DatastreamIn, request: Request, who: Caller) -> DatastreamOut:
    created = datasets.create_datastream(
        platform(request),
        caller=who,
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
    return DatastreamOut.of(datasets.get_datastream(platform(request), caller=who, stream_id=stream_id))


@router.patch("/datastreams/{stream_id}", response_model=DatastreamOut, summary="Change a datastream's unit")
def update_stream(stream_id: StreamId, body: DatastreamPatch, request: Request, who: Caller) -> DatastreamOut:
    changed = datasets.change_unit(platform(request), caller=who, stream_id=stream_id, unit=body.unit)
    return DatastreamOut.of(changed)


@router.delete("/datastreams/{stream_id}", status_code=204, summary="Delete a datastream and its points")
def delete_stream(stream_id: StreamId, request: Request, who: Caller) -> Response:
    datasets.delete_datastream(platform(request), caller=who, stream_id=stream_id)
    return Response(status_code=204)
