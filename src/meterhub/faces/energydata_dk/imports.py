"""Section 4.1: batch import over HTTP — create, upload to a presigned URL, validate, ingest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.core.entities import Import
from meterhub.core.limits import IMPORT_NAME
from meterhub.faces.energydata_dk import errors
from meterhub.faces.energydata_dk.deps import IMPORT, token
from meterhub.services import imports
from meterhub.web import fields
from meterhub.web.app_state import platform
from meterhub.web.fields import Id

router = APIRouter(prefix="/api/v1/import", tags=["energydata.dk: batch import"], responses=errors.RESPONSES)

_IMPORT_EXAMPLE = {
    "user_id": 11,
    "status": "stored",
    "name": "batch-import-example",
    "updated_at": "2023-03-27T08:20:36.000000Z",
    "created_at": "2023-03-27T08:20:36.000000Z",
    "id": 1340,
}


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _body(found: Import) -> dict[str, Any]:
    """The import as energydata.dk shows it, with its progress and problems after."""
    percent = round(100 * found.done / found.total, 1) if found.total else None
    return {
        "user_id": found.user_id,
        "status": found.status,
        "name": found.name,
        "updated_at": _time(found.updated_ms),
        "created_at": _time(found.created_ms),
        "id": found.id,
        "progress": {"done": found.done, "total": found.total, "percent": percent},
        "file_bytes": found.file_bytes,
        "rows": found.rows,
        "values": found.values,
        "message": found.message,
        "error_count": found.error_count,
        "errors": found.errors,
    }


@router.post(
    "",
    status_code=201,
    summary="Create an import",
    responses={201: {"content": {"application/json": {"example": _IMPORT_EXAMPLE}}}},
)
def create_import(request: Request) -> JSONResponse:
    """`?importname=…`: a new import, status `stored`, waiting for its file."""
    who = token(request, IMPORT)
    name = request.query_params.get("importname", "").strip()
    if not name:
        raise errors.invalid({"importname": ["The importname field is required."]})
    if (problem := fields.problem(name, IMPORT_NAME)) is not None:
        raise errors.invalid({"importname": [f"The importname {problem}."]})
    found = imports.create_import(platform(request), caller=who, name=name)
    return JSONResponse(_body(found), status_code=201)


@router.get("/{import_id}", summary="Show an import: status, progress and problems")
def show_import(import_id: Id, request: Request) -> JSONResponse:
    who = token(request, IMPORT)
    return JSONResponse(_body(imports.import_state(platform(request), caller=who, import_id=import_id)))


@router.delete("/{import_id}", status_code=204, summary="Delete an import (not its ingested values)")
def delete_import(import_id: Id, request: Request) -> Response:
    who = token(request, IMPORT)
    imports.delete_import(platform(request), caller=who, import_id=import_id)
    return Response(status_code=204)


@router.get("/{import_id}/upload_url", summary="A presigned URL to PUT the file to")
def upload_url(import_id: Id, request: Request) -> JSONResponse:
    who = token(request, IMPORT)
    url = imports.upload_url(
        platform(request), caller=who, import_id=import_id, base_url=str(request.base_url)
    )
    return JSONResponse({"upload_url": url})


@router.put(
    "/{import_id}/upload",
    summary="Upload the file (the presigned URL; no token needed)",
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}}},
)
async def upload(import_id: Id, request: Request) -> JSONResponse:
    """The body is the CSV file, of any size up to the server's limit, streamed to disk."""
    q = request.query_params
    declared = request.headers.get("content-length", "")
    size = await imports.receive_upload(
        platform(request),
        import_id=import_id,
        expires=q.get("expires", ""),
        signature=q.get("signature", ""),
        declared_bytes=int(declared) if declared.isdigit() else None,
        body=request.stream(),
    )
    return JSONResponse({"message": "Uploaded.", "bytes": size})


@router.put("/{import_id}/validate", status_code=202, summary="Start validating the uploaded file")
def validate(import_id: Id, request: Request) -> JSONResponse:
    """Accepted at once; GET the import to follow the status (`validating` → `ready` or `invalid`)."""
    who = token(request, IMPORT)
    return JSONResponse(
        _body(imports.validate_import(platform(request), caller=who, import_id=import_id)), status_code=202
    )


@router.put("/{import_id}/ingest", status_code=202, summary="Start ingesting the validated file")
def ingest(import_id: Id, request: Request) -> JSONResponse:
    """Accepted at once; GET the import to follow the status (`ingesting` → `done` or `failed`)."""
    who = token(request, IMPORT)
    return JSONResponse(
        _body(imports.ingest_import(platform(request), caller=who, import_id=import_id)), status_code=202
    )
