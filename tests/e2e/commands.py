"""The `meterhub` command in child processes, as a user runs it: one command, or a server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.waiting import until

MEHUB = [sys.executable, "-m", "meterhub"]


def run(data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [*MEHUB, *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def serving(
    data_dir: Path,
    port: int,
    mqtt_port: int = 0,
    env: dict[str, str] | None = None,
    options: Sequence[str] = (),
) -> Iterator[subprocess.Popen[str]]:
    """`meterhub serve` in a child process, stopped afterwards."""
    with subprocess.Popen(
        [*MEHUB, "serve", "--data-dir", str(data_dir), "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "METERHUB_MQTT_PORT": str(mqtt_port), **(env or {})},
    ) as server:
        try:
            yield server
        finally:
            server.terminate()
            server.wait(20)


def output_until_serving(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    lines = []
    for line in server.stdout:
        lines.append(line)
        if "serving on" in line:
            break
    return "".join(lines)


def answering(url: str) -> httpx.Response:
    """The server's landing page, once the server answers (it starts listening after its start lines)."""
    return until(
        lambda: httpx.get(url + "/"),
        lambda _: True,
        10,
        what=f"an answer at {url}",
        ignoring=(httpx.ConnectError,),
        every=0.05,
    )
