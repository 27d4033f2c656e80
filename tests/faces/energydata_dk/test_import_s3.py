"""The batch import with its files in S3-compatible storage: presigned S3 URLs, as energydata.dk's.

The storage is moto's S3 server, started on a free loopback port (no MinIO or Ceph can be
installed on this machine): real HTTP, real boto3 presigning, real PUTs from the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from meterhub.config import Settings
from meterhub.platform import Platform
from tests.conftest import Account, Server, _free_port
from tests.faces.energydata_dk.test_import import IMPORT, Example

BUCKET = "meterhub-imports"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An S3 endpoint with an empty bucket."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "meterhub"),
        ("AWS_SECRET_ACCESS_KEY", "meterhub-secret"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


@pytest.fixture
def platform(database_url: str, tmp_path: Path, s3: str) -> Iterator[Platform]:
    """The platform, keeping import files in the bucket."""
    p = Platform(
        Settings(
            data_dir=tmp_path,
            database_url=database_url,
            import_storage=f"s3://{BUCKET}/uploads",
            s3_endpoint_url=s3,
        )
    )
    yield p
    p.close()


def test_the_document_steps_with_a_presigned_s3_url(server: Server, account: Account, s3: str) -> None:
    example = Example(server, account)
    created = example.create()
    url = example.client.get(f"{IMPORT}/{created['id']}/upload_url").json()["upload_url"]
    assert url.startswith(f"{s3}/{BUCKET}/uploads/{created['id']}.csv?") and "Signature" in url
    put = httpx.put(url, content=example.csv.encode(), headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 200
    assert example.client.get(f"{IMPORT}/{created['id']}").json()["status"] == "uploaded"
    assert example.client.put(f"{IMPORT}/{created['id']}/validate").status_code == 202
    assert example.settle(created["id"])["status"] == "ready"
    assert example.client.put(f"{IMPORT}/{created['id']}/ingest").status_code == 202
    assert example.settle(created["id"])["status"] == "done"
    assert example.stored() == 14
    assert example.client.delete(f"{IMPORT}/{created['id']}").status_code == 204
    assert example.client.get(f"{IMPORT}/{created['id']}").status_code == 404
    listed = boto3.client("s3", endpoint_url=s3).list_objects_v2(Bucket=BUCKET)
    assert listed.get("KeyCount", 0) == 0


def test_before_the_file_is_in_the_bucket_validate_says_upload_first(
    server: Server, account: Account
) -> None:
    example = Example(server, account)
    created = example.create()
    refused = example.client.put(f"{IMPORT}/{created['id']}/validate")
    assert refused.status_code == 409 and "Upload the file first" in refused.json()["message"]
    own = httpx.put(f"{server.url}{IMPORT}/{created['id']}/upload?expires=1&signature=x", content=b";1\n")
    assert own.status_code == 404 and "S3" in own.json()["message"]
