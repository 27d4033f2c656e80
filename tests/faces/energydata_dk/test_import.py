"""Section 4.1 of the energydata.dk document: the batch import, step by step as its curl examples go."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from meterhub.clients.energydata_import import EnergyDataImport
from meterhub.core.datatypes import Datatype
from meterhub.platform import Platform
from meterhub.store import datasets
from tests.conftest import Account, Server, make_account
from tests.factories import datastreams, token
from tests.waiting import until

IMPORT = "/api/v1/import"
# The document's example file, as printed (blank lines and all); its ids are this installation's.
EXAMPLE = """;117217;my/topic;119221

2021-03-10T20:24:30.139Z;a_string;23.4121;-10

2021-03-10T20:24:31.144Z;"another string";999888777.121;0

2021-03-10T20:24:32.161Z;a third string;-1.33e-16;45

2021-03-10T20:24:33.186Z;;54.1;11

2021-03-10T20:24:34.201Z;a-fourth-string;;45
"""
T = {  # the example's times in UTC ms
    "30.139": 1615407870139,
    "31.144": 1615407871144,
    "32.161": 1615407872161,
    "33.186": 1615407873186,
    "34.201": 1615407874201,
}


class Example:
    def __init__(self, server: Server, account: Account) -> None:
        p = server.platform
        strings = datastreams(p, site_id=account.site_id, prefix="strings", streams={"s": Datatype.STRING})
        mine = datastreams(p, site_id=account.site_id, prefix="my", streams={"topic": Datatype.DOUBLE})
        counts = datastreams(p, site_id=account.site_id, prefix="counts", streams={"n": Datatype.INTEGER})
        self.text, self.double, self.integer = strings["s"].id, mine["topic"].id, counts["n"].id
        self.csv = EXAMPLE.replace("117217", str(self.text)).replace("119221", str(self.integer))
        self.client = server.client()
        key = token(p, user_id=account.user_id, scopes=("batch-import", "read"))
        self.client.headers.update({"Authorization": f"Bearer {key}", "Accept": "application/json"})

    def create(self, name: str = "batch-import-example") -> dict[str, Any]:
        response = self.client.post(IMPORT, params={"importname": name})
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def upload(self, import_id: int, body: bytes) -> httpx.Response:
        url = self.client.get(f"{IMPORT}/{import_id}/upload_url").json()["upload_url"]
        return httpx.put(url, content=body, headers={"Content-Type": "application/octet-stream"}, timeout=60)

    def settle(self, import_id: int) -> dict[str, Any]:
        """The import once its background step has finished."""
        return until(
            lambda: self.client.get(f"{IMPORT}/{import_id}").json(),
            lambda found: found["status"] not in ("validating", "ingesting"),
            60,
            what=f"the end of import {import_id}'s background step",
            every=0.05,
        )

    def validated(self, body: bytes) -> dict[str, Any]:
        created = self.create()
        assert self.upload(created["id"], body).status_code == 200
        assert self.client.put(f"{IMPORT}/{created['id']}/validate").status_code == 202
        return self.settle(created["id"])

    def values(self, stream_id: int) -> list[list[str]]:
        response = self.client.get(
            "/api/v1/datastreams/values",
            params={"ids": stream_id, "from": "2021-03-10T00:00:00", "to": "2021-03-11T00:00:00"},
        )
        return [line.split(",", 2) for line in response.text.splitlines()]

    def stored(self) -> int:
        return sum(len(self.values(i)) for i in (self.text, self.double, self.integer))


@pytest.fixture
def example(server: Server, account: Account) -> Example:
    return Example(server, account)


def test_the_documents_example_imports_as_described(example: Example) -> None:
    created = example.create()
    assert list(created)[:6] == ["user_id", "status", "name", "updated_at", "created_at", "id"]
    assert created["status"] == "stored" and created["name"] == "batch-import-example"
    assert created["created_at"].endswith("Z") and len(created["created_at"]) == len(
        "2023-03-27T08:20:36.000000Z"
    )
    assert example.upload(created["id"], example.csv.encode()).status_code == 200
    assert example.client.get(f"{IMPORT}/{created['id']}").json()["status"] == "uploaded"

    accepted = example.client.put(f"{IMPORT}/{created['id']}/validate")
    assert accepted.status_code == 202
    ready = example.settle(created["id"])
    assert (ready["status"], ready["rows"], ready["values"], ready["errors"]) == ("ready", 5, 14, [])
    assert ready["progress"] == {"done": 5, "total": 5, "percent": 100.0}  # every row checked
    assert example.stored() == 0  # validating stores nothing

    assert example.client.put(f"{IMPORT}/{created['id']}/ingest").status_code == 202
    done = example.settle(created["id"])
    assert done["status"] == "done" and done["progress"]["percent"] == 100.0

    assert example.values(example.text) == [
        [str(example.text), str(T["30.139"]), "a_string"],
        [str(example.text), str(T["31.144"]), "another string"],
        [str(example.text), str(T["32.161"]), "a third string"],
        [str(example.text), str(T["33.186"]), ""],  # an empty field: the empty string
        [str(example.text), str(T["34.201"]), "a-fourth-string"],
    ]
    assert example.values(example.double) == [  # nothing at 34.201; -1.33e-16 kept as a double
        [str(example.double), str(T["30.139"]), "23.4121"],
        [str(example.double), str(T["31.144"]), "999888777.121"],
        [str(example.double), str(T["32.161"]), "-1.33e-16"],
        [str(example.double), str(T["33.186"]), "54.1"],
    ]
    assert [r[2] for r in example.values(example.integer)] == ["-10", "0", "45", "11", "45"]


def test_out_of_order_steps_get_a_clear_409_and_store_nothing(example: Example) -> None:
    created = example.create()
    early = example.client.put(f"{IMPORT}/{created['id']}/validate")
    assert early.status_code == 409 and "Upload the file first" in early.json()["message"]
    example.upload(created["id"], example.csv.encode())
    unchecked = example.client.put(f"{IMPORT}/{created['id']}/ingest")
    assert unchecked.status_code == 409 and "validate it first" in unchecked.json()["message"]
    example.client.put(f"{IMPORT}/{created['id']}/validate")
    example.settle(created["id"])
    example.client.put(f"{IMPORT}/{created['id']}/ingest")
    assert example.settle(created["id"])["status"] == "done"
    again = example.client.put(f"{IMPORT}/{created['id']}/ingest")
    assert again.status_code == 409 and "done" in again.json()["message"]
    assert example.stored() == 14


def test_a_second_import_of_the_same_file_stores_each_value_once(example: Example) -> None:
    for _ in range(2):
        first = example.validated(example.csv.encode())
        assert first["status"] == "ready"
        example.client.put(f"{IMPORT}/{first['id']}/ingest")
        assert example.settle(first["id"])["status"] == "done"
    assert example.stored() == 14


def test_an_expired_or_altered_upload_url_is_refused(example: Example) -> None:
    created = example.create()
    url = example.client.get(f"{IMPORT}/{created['id']}/upload_url").json()["upload_url"]
    base, _, query = url.partition("?")
    expires, signature = (part.partition("=")[2] for part in query.split("&"))
    for bad in (
        url.replace(f"/{created['id']}/", f"/{created['id'] + 1}/"),  # another import
        f"{base}?expires=1000&signature={signature}",  # expired long ago
        f"{base}?expires={int(expires) + 3600}&signature={signature}",  # extended by hand
        f"{base}?expires={expires}&signature={signature[:-1]}{'1' if signature[-1] == '0' else '0'}",  # altered
        base,  # unsigned
    ):
        response = httpx.put(bad, content=b";1\n")
        assert response.status_code == 403 and "upload_url" in response.json()["message"]
    assert example.client.get(f"{IMPORT}/{created['id']}").json()["status"] == "stored"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\xef\xbb\xbf" + EXAMPLE.encode(), "ready"),  # a byte-order mark is skipped
        (b";1\n2021-03-10T20:24:30.139Z,5\n", "invalid"),  # delimiters mixed: a ragged row
        (b"\xff\xfe;\x001\x00\n", "invalid"),  # UTF-16, not UTF-8
        (b"", "invalid"),
    ],
)
def test_bad_files_become_invalid_with_their_problems(example: Example, body: bytes, expected: str) -> None:
    body = body.replace(b"117217", str(example.text).encode()).replace(
        b"119221", str(example.integer).encode()
    )
    body = body.replace(b";1\n", f";{example.integer}\n".encode())
    found = example.validated(body)
    assert found["status"] == expected, found
    if expected == "invalid":
        assert found["error_count"] >= 1 and found["errors"] and found["message"]
    assert example.stored() == 0


def test_every_problem_is_reported_with_its_row_and_column(example: Example) -> None:
    header = f";{example.text};{example.double};{example.integer};nobody/here\n"
    rows = (
        "2021-03-10T20:24:30.139Z;a;1.5;2;3\n"
        "2021-03-10 20:24:31;b;1.5;2;3\n"  # not the time format
        "2021-03-10T20:24:32.000Z;c;one;2.5;3\n"  # not a double, not an integer
        "2021-03-10T20:24:30.139Z;d;1;2;3\n"  # the time of row 2 again
        "2021-03-10T20:24:33.000Z;e;1\n"  # too few fields
        "1999-12-31T23:59:59.999Z;f;1;2;3\n"  # before the earliest time stored
        "9999-12-31T23:59:59.999Z;g;1;2;3\n"  # more than a day ahead
        "2021-03-10T20:24:34.000Z;h\x00i;1;2;3\n"  # a NUL, which no database keeps in text
    )
    found = example.validated((header + rows).encode())
    assert found["status"] == "invalid"
    problems = {(e["row"], e["column"]) for e in found["errors"]}
    assert {(1, 5), (3, 1), (4, 3), (4, 4), (5, 1), (6, None), (7, 1), (8, 1), (9, 2)} <= problems
    assert found["error_count"] == len(found["errors"])
    assert example.stored() == 0


def test_an_invalid_file_is_logged_with_its_problem_count_and_the_first(
    example: Example, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="meterhub")
    body = f";{example.double};nobody/here\n2021-03-10T20:24:30.139Z;one;2\n".encode()
    found = example.validated(body)
    empty = example.validated(b"")
    told = [r.getMessage() for r in caplog.records if "is invalid" in r.getMessage()]
    assert told == [
        f"import {found['id']} of user {account.user_id} is invalid, nothing of it imported: 2 problem(s), "
        "the first: row 1, column 3: `nobody/here` names no datastream (give its id, or its topic prefix/suffix)",
        f"import {empty['id']} of user {account.user_id} is invalid, nothing of it imported: 1 problem(s), "
        "the first: the file is empty or its first line is; the first line must name the datastreams",
    ]


def test_an_ingest_that_fails_is_logged_with_where_it_stopped_and_why(
    example: Example, account: Account, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="meterhub")
    ready = example.validated(example.csv.encode())
    platform.writer.write([(example.double, T["30.139"], 1.0)])  # stored meanwhile, unlike the file's
    assert example.client.put(f"{IMPORT}/{ready['id']}/ingest").status_code == 202
    assert example.settle(ready["id"])["status"] == "failed"
    (line,) = [r.getMessage() for r in caplog.records if "stopped" in r.getMessage()]
    assert line.startswith(
        f"ingesting import {ready['id']} of user {account.user_id} stopped after row 0 of 5: "
    )
    assert f"datastream {example.double} got a different value" in line
    assert example.client.headers["Authorization"].split()[1] not in caplog.text


def test_a_header_naming_someone_elses_datastream_is_invalid(
    server: Server, platform: Platform, example: Example
) -> None:
    stranger = make_account(platform, email="stranger@example.org")
    theirs = datastreams(platform, site_id=stranger.site_id, prefix="theirs", streams={"x": Datatype.DOUBLE})
    found = example.validated(f";{theirs['x'].id}\n2021-03-10T20:24:30.139Z;1.0\n".encode())
    assert found["status"] == "invalid" and "may not write" in found["errors"][0]["message"]


def test_fifty_megabytes_of_garbage_is_refused_quickly(example: Example) -> None:
    started = time.monotonic()
    found = example.validated(os.urandom(50 * 1024 * 1024))
    assert found["status"] == "invalid" and time.monotonic() - started < 30
    assert example.stored() == 0


def test_someone_elses_import_and_missing_permissions(
    server: Server, platform: Platform, account: Account, example: Example
) -> None:
    created = example.create()
    stranger = make_account(platform, email="stranger@example.org")
    other = server.client()
    other.headers["Authorization"] = (
        f"Bearer {token(platform, user_id=stranger.user_id, scopes=('batch-import',))}"
    )
    # Answered exactly as an unknown import: other users' ids cannot be probed.
    unknown = other.get(f"{IMPORT}/999999")
    for response in (other.get(f"{IMPORT}/{created['id']}"), other.delete(f"{IMPORT}/{created['id']}")):
        assert response.status_code == 404
        assert response.json() == {**unknown.json(), "message": f"No import with id {created['id']}."}
    reader = server.client()
    reader.headers["Authorization"] = f"Bearer {token(platform, user_id=account.user_id)}"
    assert reader.post(IMPORT, params={"importname": "x"}).status_code == 403
    assert server.client().post(IMPORT, params={"importname": "x"}).status_code == 401
    assert example.client.post(IMPORT).status_code == 400
    assert example.client.get(f"{IMPORT}/999999").status_code == 404
    assert example.client.delete(f"{IMPORT}/{created['id']}").status_code == 204
    assert example.client.get(f"{IMPORT}/{created['id']}").status_code == 404


def test_the_python_helper_of_section_4_2_imports_the_example(example: Example, tmp_path: Path) -> None:
    key = example.client.headers["Authorization"].removeprefix("Bearer ")
    at = datetime(2021, 3, 10, 21, 24, 30, 139000, tzinfo=ZoneInfo("Europe/Copenhagen"))
    rows = [
        ("a_string", 23.4121, -10),
        ("another string", 999888777.121, 0),
        ("a third string", -1.33e-16, 45),
        ("", 54.1, 11),
        ("a-fourth-string", None, 45),
    ]
    offsets_ms = [0, 1005, 2022, 3047, 4062]
    properties = [example.text, "my/topic", example.integer]
    with EnergyDataImport(
        "example.csv",
        properties,
        "sftp-user",
        "sftp-password",
        key,
        tmp_dir=str(tmp_path),
        base_url=str(example.client.base_url),
    ) as job:
        with pytest.raises(ValueError, match="time zone"):
            job.add_values(datetime(2021, 3, 10), rows[0])
        with pytest.raises(ValueError, match="3 properties"):
            job.add_values(at, rows[0][:2])
        for offset, values in zip(offsets_ms, rows, strict=True):
            job.add_values(at + timedelta(milliseconds=offset), values)
        job.upload(print_progress=False)
        job.validate(print_progress=False)
        assert job.state == "ready"
        job.ingest(block=False, print_progress=False)
        until(
            job.refresh_status,
            lambda found: found["status"] != "ingesting",
            60,
            what="the end of the helper's ingest",
            every=0.05,
        )
        assert job.state == "done"
    assert not (tmp_path / "example.csv").exists()  # cleaned up
    assert [r[2] for r in example.values(example.text)] == [r[0] for r in rows]
    assert [r[2] for r in example.values(example.double)] == ["23.4121", "999888777.121", "-1.33e-16", "54.1"]


def test_meterhub_import_runs_the_whole_lifecycle_from_the_command_line(
    example: Example, tmp_path: Path
) -> None:
    key = example.client.headers["Authorization"].removeprefix("Bearer ")

    def meterhub_import(path: Path) -> subprocess.CompletedProcess[str]:
        command = ["import", str(path), "--url", str(example.client.base_url), "--token", key]
        return subprocess.run(
            [sys.executable, "-m", "meterhub", *command], capture_output=True, text=True, timeout=120
        )

    good = tmp_path / "batch-import-example.csv"
    good.write_text(example.csv)
    done = meterhub_import(good)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "done: 14 values in 5 rows" in done.stdout
    assert example.stored() == 14
    bad = tmp_path / "bad.csv"
    bad.write_text(f";{example.integer}\n2021-03-10T20:24:30.139Z;1.5\n")
    refused = meterhub_import(bad)
    assert (
        refused.returncode != 0 and "row 2, column 2" in refused.stdout and "not an integer" in refused.stdout
    )


def test_the_documents_curl_commands_run_unchanged_but_for_host_and_token(
    example: Example, tmp_path: Path
) -> None:
    token = example.client.headers["Authorization"].removeprefix("Bearer ")
    base = str(example.client.base_url).rstrip("/")
    auth = ["-H", f"Authorization: Bearer {token}", "-H", "Accept: application/json"]

    def curl(*args: str) -> dict[str, Any]:
        done = subprocess.run(["curl", "-s", "-S", "--fail-with-body", *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    (tmp_path / "batch-import-example.csv").write_text(example.csv)
    # 4.1.3: create the upload
    created = curl(
        *auth,
        "-X",
        "POST",
        f"{base}/api/v1/import",
        "-G",
        "--data-urlencode",
        "importname=batch-import-example",
    )
    import_id = created["id"]
    # 4.1.4: get the upload url
    url = curl(*auth, f"{base}/api/v1/import/{import_id}/upload_url")["upload_url"]
    # 4.1.5: upload the file
    subprocess.run(
        [
            "curl",
            "-s",
            "--fail",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            f"@{tmp_path / 'batch-import-example.csv'}",
            url,
        ],
        check=True,
        capture_output=True,
    )
    # 4.1.6: validate, then look at the import until it is ready
    curl(*auth, "-X", "PUT", f"{base}/api/v1/import/{import_id}/validate")
    assert example.settle(import_id)["status"] == "ready"
    # 4.1.7: ingest
    curl(*auth, "-X", "PUT", f"{base}/api/v1/import/{import_id}/ingest")
    assert example.settle(import_id)["status"] == "done"
    assert curl(*auth, f"{base}/api/v1/import/{import_id}")["status"] == "done"
    assert example.stored() == 14


def test_a_header_may_name_a_suffix_within_the_tokens_one_dataset(
    server: Server, platform: Platform, account: Account, example: Example
) -> None:
    with platform.db.reader.connect() as conn:
        my = datasets.dataset_by_prefix(conn, "my")
    assert my is not None
    licensed = token(platform, user_id=account.user_id, scopes=("batch-import", "read"), licensed=(my.id,))
    example.client.headers["Authorization"] = f"Bearer {licensed}"
    found = example.validated(b";topic\n2021-03-10T20:24:30.139Z;23.4121\n")
    assert found["status"] == "ready", found
    example.client.put(f"{IMPORT}/{found['id']}/ingest")
    assert example.settle(found["id"])["status"] == "done"
    assert example.values(example.double) == [[str(example.double), str(T["30.139"]), "23.4121"]]
