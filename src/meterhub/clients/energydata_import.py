"""A Python client for the batch import, as section 4.2 of the energydata.dk document describes it.

`EnergyDataImport` builds the CSV from `add_values(time, values)`, then `upload()`, `validate()` and
`ingest()` it, with `refresh_status()` to follow a step started with `block=False`. It takes the
document's arguments in the document's order, so scripts written for energydata.dk run unchanged
against meterhub; the SFTP credentials are accepted and not needed (meterhub hands out a
presigned upload URL instead), and the server is `base_url` (else the METERHUB_URL variable, else
this machine's server by METERHUB_HOST and METERHUB_PORT).

`ImportClient` is the HTTP API underneath, for files that already exist (`meterhub import`).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from meterhub.config import server_url

Progress = Callable[[dict[str, Any]], None]


class ImportFailed(Exception):
    """The server refused a step or the import ended badly; the message is the server's."""


class ServerUnreachable(ImportFailed):
    """Nothing answers at the server's URL: no server runs there, or it runs elsewhere."""


class ImportClient:
    """The batch import's HTTP calls, with a bearer token that has the batch-import permission."""

    def __init__(self, token: str, base_url: str | None = None, *, timeout: float = 60) -> None:
        self.base_url = server_url(base_url)
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )

    def create(self, name: str) -> dict[str, Any]:
        """A new import (status `stored`)."""
        return self._json(self._call(self.http.post, "/api/v1/import", params={"importname": name}))

    def status(self, import_id: int) -> dict[str, Any]:
        """The import as the server has it now."""
        return self._json(self._call(self.http.get, f"/api/v1/import/{import_id}"))

    def upload(self, import_id: int, path: Path, on_bytes: Callable[[int], None] = lambda n: None) -> None:
        """PUT the file to the import's presigned URL, streamed."""
        url = self._json(self._call(self.http.get, f"/api/v1/import/{import_id}/upload_url"))["upload_url"]
        size = path.stat().st_size
        response = self._call(
            httpx.put,
            url,
            content=_chunks(path, on_bytes),
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            timeout=None,
        )
        self._json(response)

    def validate(self, import_id: int) -> dict[str, Any]:
        """Start validating."""
        return self._json(self._call(self.http.put, f"/api/v1/import/{import_id}/validate"))

    def ingest(self, import_id: int) -> dict[str, Any]:
        """Start ingesting."""
        return self._json(self._call(self.http.put, f"/api/v1/import/{import_id}/ingest"))

    def wait(
        self, import_id: int, on_progress: Progress = lambda found: None, every_s: float = 0.5
    ) -> dict[str, Any]:
        """Poll until the running step has ended; the import then."""
        while True:
            found = self.status(import_id)
            on_progress(found)
            if found["status"] not in ("validating", "ingesting"):
                return found
            time.sleep(every_s)

    def close(self) -> None:
        self.http.close()

    def _call(self, send: Callable[..., httpx.Response], url: str, **options: Any) -> httpx.Response:
        # A server that is not running is the usual first mistake: say where we looked and how to
        # look elsewhere, not how httpx failed.
        try:
            return send(url, **options)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise ServerUnreachable(
                f"no meterhub server answers at {self.base_url} ({exc}): start one with `meterhub serve`, "
                "or give its address with --url or METERHUB_URL"
            ) from None

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text}
        if response.is_error:
            raise ImportFailed(f"{response.status_code}: {body.get('message') or body}")
        return body  # type: ignore[no-any-return]


class EnergyDataImport:
    """One batch import built in Python: add values, then upload, validate and ingest them."""

    def __init__(
        self,
        upload_filename: str,
        properties: Sequence[int | str],
        sftp_username: str | None = None,
        sftp_password: str | None = None,
        energydata_api_token: str = "",
        overwrite: bool = False,
        tmp_dir: str = "/tmp/energydata_batch_upload",
        autoclean_tmp_files: bool = True,
        *,
        base_url: str | None = None,
    ) -> None:
        del sftp_username, sftp_password  # energydata.dk's SFTP step; meterhub presigns an upload URL
        if not energydata_api_token:
            raise ValueError("energydata_api_token is needed: a token with the batch-import permission")
        self.path = Path(tmp_dir) / upload_filename
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"{self.path} exists; pass overwrite=True to replace it")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.properties = list(properties)
        self.autoclean = autoclean_tmp_files
        self.client = ImportClient(energydata_api_token, base_url)
        self.state = "open"
        self.import_id: int | None = None
        self.status: dict[str, Any] = {}
        self._file = self.path.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file, delimiter=";", lineterminator="\n")
        self._csv.writerow(["", *self.properties])

    def add_values(self, time: datetime, values: Sequence[Any]) -> None:
        """Add a row: a time zone-aware time and one value per property (None: no value)."""
        if self.state != "open":
            raise RuntimeError(f"values can only be added while open; the import is {self.state}")
        if time.tzinfo is None or time.utcoffset() is None:
            raise ValueError("time must carry its time zone (e.g. datetime.now(timezone.utc))")
        if len(values) != len(self.properties):
            raise ValueError(f"{len(values)} values for {len(self.properties)} properties")
        moment = time.astimezone(UTC)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        self._csv.writerow([stamp, *(_cell(v) for v in values)])

    def upload(self, print_progress: bool = True) -> None:
        """Create the import and upload the file: open -> uploading -> uploaded."""
        self._file.close()
        self.state = "uploading"
        size = max(self.path.stat().st_size, 1)
        sent = 0

        def on_bytes(n: int) -> None:
            nonlocal sent
            sent += n
            if print_progress:
                print(f"\ruploading {self.path.name}: {100 * sent / size:5.1f}%", end="", flush=True)

        created = self.client.create(self.path.name)
        self.import_id = created["id"]
        self.client.upload(created["id"], self.path, on_bytes)
        if print_progress:
            print()
        self.state = "uploaded"
        self.refresh_status()  # the server's status from now on

    def validate(self, block: bool = True, print_progress: bool = True) -> None:
        """Check the file on the server: uploaded -> validating -> ready (or invalid)."""
        self._step(
            self.client.validate, "validating", ("stored", "uploaded", "invalid"), block, print_progress
        )

    def ingest(self, block: bool = True, print_progress: bool = True) -> None:
        """Store the values: ready -> ingesting -> done (or failed)."""
        self._step(self.client.ingest, "ingesting", ("ready", "failed"), block, print_progress)

    def refresh_status(self) -> dict[str, Any]:
        """Fetch the import's state from the server (after a step started with block=False)."""
        if self.import_id is None:
            return {}
        self.status = self.client.status(self.import_id)
        if self.state not in ("open", "uploading"):
            self.state = self.status["status"]
        return self.status

    def _step(
        self,
        start: Callable[[int], dict[str, Any]],
        running: str,
        allowed: tuple[str, ...],
        block: bool,
        print_progress: bool,
    ) -> None:
        self.refresh_status()
        if self.import_id is None or self.state not in allowed:
            raise RuntimeError(f"the import is {self.state}; this step needs it {' or '.join(allowed)}")
        start(self.import_id)
        self.state = running
        if not block:
            return
        self.status = self.client.wait(
            self.import_id, _printer(running) if print_progress else lambda f: None
        )
        self.state = self.status["status"]
        if print_progress:
            print()
        if self.state in ("invalid", "failed"):
            problems = "; ".join(
                f"row {e['row']}, column {e['column']}: {e['message']}" for e in self.status["errors"][:5]
            )
            raise ImportFailed(f"{self.state}: {self.status.get('message') or ''} {problems}".strip())

    def __enter__(self) -> EnergyDataImport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self._file.closed:
            self._file.close()
        self.client.close()
        if self.autoclean:
            self.path.unlink(missing_ok=True)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _printer(step: str) -> Progress:
    def show(found: dict[str, Any]) -> None:
        percent = found["progress"]["percent"]
        print(
            f"\r{step}: {found['status']} {'' if percent is None else f'{percent:5.1f}%'}", end="", flush=True
        )

    return show


def _chunks(path: Path, on_bytes: Callable[[int], None], size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            on_bytes(len(chunk))
            yield chunk
