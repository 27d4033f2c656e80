"""Section 4.1: batch import over HTTP — create, upload to a presigned URL, validate, ingest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meterhub.auth.access import Principal
from meterhub.core.entities import Import
from meterhub.core.errors import MeterhubError
from meterhub.faces.energydata_dk import errors
from meterhub.faces.energydata_dk.deps import IMPORT, platform, token
from meterhub.platform import Platform
from meterhub.services.import_files import LocalFiles
from meterhub.store import imports, tables
from meterhub.web import fields

ImportId = fields.Id(tables.imports.c.id)

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


def _mine(p: Platform, who: Principal, import_id: int) -> Import:
    try:
        found = p.imports.current(import_id)
    except MeterhubError as exc:
        raise errors.problem(404, str(exc)) from None
    if found.user_id != who.user_id:  # answered as an unknown one: other users' ids cannot be probed
        raise errors.problem(404, f"No import with id {import_id}.")
    return found


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
    if (problem := fields.problem(name, tables.imports.c.name)) is not None:
        raise errors.invalid({"importname": [f"The importname {problem}."]})
    with platform(request).db.writer.begin() as conn:
        found = imports.create(conn, user_id=who.user_id, credential_id=who.credential_id, name=name)
    return JSONResponse(_body(found), status_code=201)


@router.get("/{import_id}", summary="Show an import: status, progress and problems")
def show_import(import_id: ImportId, request: Request) -> JSONResponse:
    who = token(request, IMPORT)
    return JSONResponse(_body(_mine(platform(request), who, import_id)))


@router.delete("/{import_id}", status_code=204, summary="Delete an import (not its ingested values)")
def delete_import(import_id: ImportId, request: Request) -> Response:
    who = token(request, IMPORT)
    p = platform(request)
    _mine(p, who, import_id)
    p.imports.delete(import_id)
    return Response(status_code=204)


@router.get("/{import_id}/upload_url", summary="A presigned URL to PUT the file to")
def upload_url(import_id: ImportId, request: Request) -> JSONResponse:
    who = token(request, IMPORT)
    p = platform(request)
    _mine(p, who, import_id)
    url = p.imports.files.upload_url(
        import_id, base_url=str(request.base_url), expires_s=p.settings.upload_url_seconds
    )
    return JSONResponse({"upload_url": url})


@router.put(
    "/{import_id}/upload",
    summary="Upload the file (the presigned URL; no token needed)",
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}}},
)
async def upload(import_id: ImportId, request: Request) -> JSONResponse:
    """The body is the CSV file, of any size up to the server's limit, streamed to disk."""
    p = platform(request)
    q = request.query_params
    files = p.imports.files
    if not isinstance(files, LocalFiles):
        raise errors.problem(
            404, "This server keeps import files in S3: PUT the file to the upload_url it gave."
        )
    if not files.signed(import_id, q.get("expires", ""), q.get("signature", "")):
        raise errors.problem(
            403,
            "The upload URL is expired or was altered; GET a new one from /api/v1/import/{id}/upload_url.",
        )
    limit = p.settings.import_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.problem(413, f"The file is larger than this server takes ({limit} bytes).")
    target = files.partial(import_id)
    size = 0
    try:
        with target.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise errors.problem(413, f"The file is larger than this server takes ({limit} bytes).")
                out.write(chunk)
        p.imports.uploaded(import_id, size)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return JSONResponse({"message": "Uploaded.", "bytes": size})


@router.put("/{import_id}/validate", status_code=202, summary="Start validating the uploaded file")
def validate(import_id: ImportId, request: Request) -> JSONResponse:
    """Accepted at once; GET the import to follow the status (`validating` → `ready` or `invalid`)."""
    return _start(request, import_id, "validate")


@router.put("/{import_id}/ingest", status_code=202, summary="Start ingesting the validated file")
def ingest(import_id: ImportId, request: Request) -> JSONResponse:
    """Accepted at once; GET the import to follow the status (`ingesting` → `done` or `failed`)."""
    return _start(request, import_id, "ingest")


def _start(request: Request, import_id: int, step: str) -> JSONResponse:
    who = token(request, IMPORT)
    p = platform(request)
    _mine(p, who, import_id)
    started = p.imports.validate if step == "validate" else p.imports.ingest
    return JSONResponse(_body(started(import_id, who)), status_code=202)
