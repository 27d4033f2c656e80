"""The README's tour, run as a script: its commands word for word, in order, in a folder of their
own beside `meterhub serve` on the embedded default. Three things are the test's: the ports
(`127.0.0.1:8000` and MQTT's `1884` become free ones), the API key and admin password the server
made (for `YOUR-API-KEY` and `YOUR-PASSWORD`), and curl failing on an error status (a `.curlrc`, so
the commands stay as printed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import _free_port
from tests.e2e.commands import output_until_serving, serving
from tests.stands_alone import REPOSITORY

BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def tour() -> list[tuple[str, str]]:
    """The tour's shell blocks and its sample files, in the order the README gives them."""
    text = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    tour = text[text.index("## A short tour") : text.index("## Running it your way")]
    return [(kind, body) for kind, body in BLOCK.findall(tour) if kind in ("sh", "csv")]


def script(key: str, password: str, port: int, mqtt_port: int) -> str:
    lines = ["set -euo pipefail"]
    for kind, body in tour():
        if kind == "csv":  # "Save this as `readings.csv`"
            lines += ["cat > readings.csv <<'CSV'", body.rstrip("\n"), "CSV"]
            continue
        body = body.replace("127.0.0.1:8000", f"127.0.0.1:{port}").replace("-p 1884", f"-p {mqtt_port}")
        lines.append(body.replace("YOUR-API-KEY", key).replace("YOUR-PASSWORD", password))
    return "\n".join(lines) + "\n"


def test_the_tour_shows_what_it_says_it_does() -> None:
    blocks = [body for kind, body in tour() if kind == "sh"]
    assert any("--scope mqtt-pubsub" in b for b in blocks)  # the token MQTT takes
    assert any("readings.csv" in body for kind, body in tour() if kind == "sh")
    assert [kind for kind, _ in tour()].count("csv") == 1  # its sample file, shown
    assert not any(re.search(r"/import/\d", b) for b in blocks)  # ids as the create call gave them


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))  # `.venv/bin/meterhub` as the tour writes it
    (tmp_path / ".curlrc").write_text("--fail-with-body\n--silent\n--show-error\n")
    port, mqtt_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "METERHUB_PORT": str(port),
        "METERHUB_MQTT_PORT": str(mqtt_port),
        "CURL_HOME": str(tmp_path),
        "COLUMNS": "100",
    }
    with serving(tmp_path / "data", port, mqtt_port) as server:
        output_until_serving(server)
        banner = (tmp_path / "data" / "first-start.txt").read_text()
        key = re.search(r"API key  (\w+)", banner)
        password = re.search(r"login    admin@localhost / (\S+)", banner)
        assert key is not None and password is not None, banner
        done = subprocess.run(
            ["bash", "-c", script(key.group(1), password.group(1), port, mqtt_port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "Traceback" not in said
    assert '"electricity_merged"' in said  # today's consumption, from the telegram posted
    assert "done: 3 values in 3 rows" in said  # the import with progress bars
    assert '"status":"ingesting"' in said  # the walk-through's import, the same values once more
    read_back = re.findall(r"(\d+),(\d{13}),(-?[\d.]+)$", done.stdout, re.M)
    assert [value for _, _, value in read_back] == ["-1.5", "4.25", "2.0"]  # stored once, as CSV
    assert '"value": 4.5}' in said  # the subscriber saw the MQTT publish
    assert '"topic_prefix":"weather"' in said  # the datasets, read with a session token
