"""Where batch import files are kept: on meterhub's own disk, or in S3-compatible storage.

On the embedded default the upload URL is meterhub's own endpoint, signed with an expiry, and the
file lands in data_dir/imports. With `METERHUB_IMPORT_STORAGE=s3://bucket/prefix` the upload URL
is a presigned S3 PUT, as energydata.dk hands out; the file goes straight to the bucket and
meterhub reads it from there, streamed, when it validates and ingests.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlparse

from meterhub.auth import signing


class ImportFiles(Protocol):
    def upload_url(self, import_id: int, *, base_url: str, expires_s: int) -> str: ...

    def size(self, import_id: int) -> int | None: ...

    def open(self, import_id: int) -> Any: ...

    def delete(self, import_id: int) -> None: ...


class LocalFiles:
    """Files in a folder of the data directory, uploaded through meterhub's signed endpoint."""

    def __init__(self, folder: Path, secret: bytes) -> None:
        self.folder = folder
        # Uploaded files are the owners' data: nobody else may list or read them.
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self._secret = secret

    def upload_url(self, import_id: int, *, base_url: str, expires_s: int) -> str:
        expires = int(time.time()) + expires_s
        signature = signing.signature(self._secret, _subject(import_id), expires)
        return (
            f"{base_url.rstrip('/')}/api/v1/import/{import_id}/upload?expires={expires}&signature={signature}"
        )

    def signed(self, import_id: int, expires: str, signature: str) -> bool:
        """Whether an upload request carries this server's unexpired signature for the import."""
        return signing.valid(self._secret, _subject(import_id), expires, signature)

    def partial(self, import_id: int) -> Path:
        """Where an upload is written until it is complete."""
        return self.folder / f"{import_id}.upload"

    def take(self, import_id: int) -> None:
        """Make a complete upload the import's file (replacing one uploaded before)."""
        os.replace(self.partial(import_id), self._path(import_id))

    def size(self, import_id: int) -> int | None:
        path = self._path(import_id)
        return path.stat().st_size if path.exists() else None

    @contextmanager
    def open(self, import_id: int) -> Iterator[BinaryIO]:
        with self._path(import_id).open("rb") as f:
            yield f

    def delete(self, import_id: int) -> None:
        self._path(import_id).unlink(missing_ok=True)
        self.partial(import_id).unlink(missing_ok=True)

    def _path(self, import_id: int) -> Path:
        return self.folder / f"{import_id}.csv"


class S3Files:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph…); credentials as boto3 finds them."""

    def __init__(self, storage_url: str, *, endpoint_url: str | None = None) -> None:
        import boto3  # only deployments that use S3 need it: `pip install meterhub[s3]`

        parsed = urlparse(storage_url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"import storage {storage_url!r} must look like s3://bucket/prefix")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self._s3 = boto3.client("s3", endpoint_url=endpoint_url or None)

    def upload_url(self, import_id: int, *, base_url: str, expires_s: int) -> str:
        return str(
            self._s3.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self._key(import_id),
                    "ContentType": "application/octet-stream",
                },
                ExpiresIn=expires_s,
                HttpMethod="PUT",
            )
        )

    def size(self, import_id: int) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=self._key(import_id))
        except ClientError:
            return None
        return int(head["ContentLength"])

    @contextmanager
    def open(self, import_id: int) -> Iterator[BinaryIO]:
        body = self._s3.get_object(Bucket=self.bucket, Key=self._key(import_id))["Body"]
        try:
            yield io.BufferedReader(_Stream(body), buffer_size=1 << 20)
        finally:
            body.close()

    def delete(self, import_id: int) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=self._key(import_id))

    def _key(self, import_id: int) -> str:
        return f"{self.prefix}/{import_id}.csv" if self.prefix else f"{import_id}.csv"


class _Stream(io.RawIOBase):
    """An S3 object's body as a raw stream that knows how far it has been read."""

    def __init__(self, body: Any) -> None:
        self._body = body
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._read += len(data)
        return len(data)

    def tell(self) -> int:
        return self._read


def _subject(import_id: int) -> str:
    return f"upload {import_id}"
