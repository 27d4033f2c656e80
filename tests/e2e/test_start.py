"""Starting `meterhub serve`: a data directory it cannot use, a second server on one data
directory (each one clear line, never a traceback), the lines that say where everything is, and
the access log."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _free_port
from tests.e2e.commands import MEHUB, answering, output_until_serving, serving

SERVE = ("serve", "--port", "0")  # the port is never reached: the data directory is checked first


def refused(
    data_dir: Path,
    command: Sequence[str] = SERVE,
    env: dict[str, str] | None = None,
) -> str:
    """What a command says when it will not start; it must end at once, with an error status."""
    done = subprocess.run(
        [*MEHUB, *command, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "METERHUB_MQTT_PORT": "0", **(env or {})},
    )
    said = (done.stdout + done.stderr).strip()
    assert done.returncode != 0 and len(said.splitlines()) == 1 and "Traceback" not in said, said
    return said


@pytest.mark.parametrize("command", [SERVE, ("demo", "--days", "1"), ("user", "list")], ids=" ".join)
def test_a_data_directory_that_is_a_file_is_refused_in_one_line(
    tmp_path: Path, command: Sequence[str]
) -> None:
    a_file = tmp_path / "data"
    a_file.write_text("not a directory")
    said = refused(a_file, command)
    assert f"{a_file} is a file" in said and "--data-dir" in said and "METERHUB_DATA_DIR" in said


def test_a_data_directory_that_cannot_be_created_is_refused_in_one_line(tmp_path: Path) -> None:
    # Under a regular file no one can make a directory, root included.
    a_file = tmp_path / "file"
    a_file.write_text("")
    said = refused(a_file / "data")
    assert "cannot be created or written" in said and "--data-dir" in said and "METERHUB_DATA_DIR" in said


def test_a_data_directory_that_cannot_be_written_is_refused_in_one_line(tmp_path: Path) -> None:
    read_only = tmp_path / "data"
    read_only.mkdir(mode=0o555)
    if os.geteuid() == 0:
        # Root writes past permission bits, but not into sysfs, which takes no files from anyone.
        read_only = Path("/sys/kernel")
    said = refused(read_only)
    assert "cannot be created or written (Permission denied)" in said and "METERHUB_DATA_DIR" in said, said


def test_a_second_server_on_one_data_directory_is_refused_and_the_first_keeps_serving(tmp_path: Path) -> None:
    port = _free_port()
    with serving(tmp_path, port) as first:
        output_until_serving(first)
        said = refused(tmp_path)
        assert f"pid {first.pid}" in said and f"http://127.0.0.1:{port}" in said and "--data-dir" in said
        assert answering(f"http://127.0.0.1:{port}").status_code == 200
        assert first.poll() is None
    # Once the first has stopped, the data directory is free again.
    with serving(tmp_path, _free_port()) as again:
        assert "serving on" in output_until_serving(again)


def test_servers_sharing_a_postgresql_database_take_no_lock(tmp_path: Path, postgres_url: str) -> None:
    env = {"METERHUB_DATABASE_URL": postgres_url}
    ports = _free_port(), _free_port()
    with serving(tmp_path, ports[0], env=env) as first, serving(tmp_path, ports[1], env=env) as second:
        output_until_serving(first)
        output_until_serving(second)
        assert all(answering(f"http://127.0.0.1:{p}").status_code == 200 for p in ports)


def test_the_start_lines_say_where_http_mqtt_the_data_and_the_database_are(tmp_path: Path) -> None:
    port, mqtt_port = _free_port(), _free_port()
    with serving(tmp_path, port, mqtt_port) as server:
        said = output_until_serving(server)
    lines = said.splitlines()
    assert lines[-1] == f"meterhub serving on http://127.0.0.1:{port}", said
    assert f"  MQTT      127.0.0.1:{mqtt_port} (embedded broker)" in lines
    assert f"  data      {tmp_path.resolve()}" in lines
    assert f"  database  sqlite:///{tmp_path.resolve() / 'meterhub.sqlite3'}" in lines


def test_the_start_lines_name_a_postgresql_database_without_its_password(
    tmp_path: Path, postgres_url: str
) -> None:
    # The test server trusts local connections, so any password reaches it.
    with_password = postgres_url.replace("postgres@", "postgres:hunter2@")
    with serving(tmp_path, _free_port(), env={"METERHUB_DATABASE_URL": with_password}) as server:
        said = output_until_serving(server)
    hidden = postgres_url.replace("postgres@", "postgres:***@")
    assert f"  database  {hidden}" in said.splitlines() and "hunter2" not in said, said
    assert "  MQTT      off (METERHUB_MQTT_PORT=0)" in said.splitlines()


def served_output(data_dir: Path, paths: list[str], **options: Any) -> str:
    """Everything a server prints while it answers these requests, until it is stopped."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(data_dir, port, **options) as server:
        said = output_until_serving(server)
        answering(url)
        for path in paths:
            httpx.get(url + path, headers={"X-AUTHKEY": "not-in-the-log"})
        server.terminate()
        return said + server.communicate(timeout=20)[0]


def test_each_request_is_an_access_line_with_credentials_in_the_query_blanked(tmp_path: Path) -> None:
    said = served_output(
        tmp_path,
        ["/api/v2/consumption/today", "/api/v1/import/1/upload?expires=1&signature=SIGNATURE-SECRET",
         "/api/v2/statistics/day?api_key=KEY-SECRET&limit=1"],
    )  # fmt: skip
    assert re.search(r'127\.0\.0\.1:\d+ "GET /api/v2/consumption/today HTTP/1\.1" 40[13]', said), said
    assert '"GET /api/v1/import/1/upload?expires=1&signature=*** HTTP/1.1"' in said, said
    assert '"GET /api/v2/statistics/day?api_key=***&limit=1 HTTP/1.1"' in said, said
    assert "SECRET" not in said and "not-in-the-log" not in said


@pytest.mark.parametrize(
    "off", [{"env": {"METERHUB_ACCESS_LOG": "0"}}, {"options": ["--no-access-log"]}], ids=["env", "flag"]
)
def test_the_access_log_can_be_turned_off(tmp_path: Path, off: dict[str, Any]) -> None:
    said = served_output(tmp_path, ["/api/v2/consumption/today"], **off)
    assert "serving on" in said and "/api/v2/consumption/today" not in said, said
