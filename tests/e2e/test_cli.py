"""The `meterhub` command as a user runs it: first start, keys, sites, contracts."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from meterhub import cli
from tests.conftest import _free_port, telegram
from tests.e2e.commands import MEHUB, answering, output_until_serving, run, serving
from tests.mqtt.mosquitto import mosquitto
from tests.waiting import until


def test_first_start_writes_a_working_key_once_to_an_owner_only_file_when_output_is_no_terminal(
    tmp_path: Path,
) -> None:
    port, mqtt_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(tmp_path, port, mqtt_port) as server:
        printed = output_until_serving(server)
        banner = tmp_path / "first-start.txt"
        assert str(banner.resolve()) in printed and not re.search(r"[A-Z0-9]{64}", printed), printed
        assert stat.S_IMODE(banner.stat().st_mode) == 0o600
        written = banner.read_text()
        key = re.search(r"API key\s+([A-Z0-9]{64})", written)
        assert key and "admin@localhost" in written and "curl" in written, written
        landing = answering(url)
        assert landing.status_code == 200 and "/docs/dsmr-reader" in landing.text
        posted = httpx.post(
            url + "/api/v1/datalogger/dsmrreading",
            headers={"X-AUTHKEY": key.group(1)},
            data={"telegram": telegram("dsmrreader_kaifa_dsmr42_api_v1.txt")},
        )
        assert posted.status_code == 201
        stored = httpx.get(url + "/api/v2/datalogger/dsmrreading", headers={"X-AUTHKEY": key.group(1)})
        assert stored.json()["count"] == 1
        socket.create_connection(("127.0.0.1", mqtt_port), timeout=5).close()  # the embedded MQTT broker
    # A second start finds the database set up and prints no new secrets.
    with serving(tmp_path, port) as server:
        assert "first-start.txt" not in output_until_serving(server)
    assert banner.read_text() == written
    # The database and the signing key are the owner's alone, in a directory only they may enter.
    assert (
        stat.S_IMODE(tmp_path.stat().st_mode) == stat.S_IMODE((tmp_path / "imports").stat().st_mode) == 0o700
    )
    for name in ("meterhub.sqlite3", "meterhub.sqlite3-wal", "meterhub.sqlite3-shm", "secret.key"):
        if (tmp_path / name).exists() or name == "meterhub.sqlite3":
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_the_first_start_commands_work_as_printed(tmp_path: Path) -> None:
    port = _free_port()
    with serving(tmp_path, port) as server:
        output_until_serving(server)
        banner = (tmp_path / "first-start.txt").read_text().splitlines()
        post = banner[banner.index(next(line for line in banner if line.startswith("Post a telegram"))) + 1]
        today = banner[banner.index("Read today's consumption:") + 1]
        assert f"http://127.0.0.1:{port}/api/v2/consumption/today" in today, banner
        answering(f"http://127.0.0.1:{port}")

        def shell(command: str) -> str:
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, command + done.stderr
            return done.stdout

        assert shell(post).strip() == "201", post
        # The sample is stamped now: today has an electricity reading, in the site's time zone.
        answered = json.loads(shell(today))
        assert answered["day"] == datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat(), answered


def test_the_demo_points_at_where_its_server_is_or_will_be(tmp_path: Path) -> None:
    configured, running = _free_port(), _free_port()
    env = {"METERHUB_PORT": str(configured)}
    made = run(tmp_path, "demo", "--days", "1", env=env)
    assert "Serve it with `meterhub serve --data-dir" in made, made
    assert f"curl 'http://127.0.0.1:{configured}/api/v2/statistics/day" in made, made
    look = next(line for line in made.splitlines() if "/api/v2/statistics/day" in line)
    with serving(tmp_path, running) as server:
        output_until_serving(server)
        again = run(tmp_path, "demo", "--days", "1", env=env)
        assert f"meterhub (pid {server.pid}) is serving it" in again and "Serve it with" not in again, again
        assert f"curl 'http://127.0.0.1:{running}/api/v2/statistics/day" in again, again
        answering(f"http://127.0.0.1:{running}")
        # The first run's command, with its key, on the port the server really has.
        days = subprocess.run(
            ["bash", "-c", look.replace(f":{configured}/", f":{running}/")], capture_output=True, text=True
        )
        assert json.loads(days.stdout)["results"], days.stdout


def test_first_start_shows_the_key_on_a_terminal_and_writes_no_file(tmp_path: Path) -> None:
    port = _free_port()
    command = shlex.join([*MEHUB, "serve", "--data-dir", str(tmp_path), "--port", str(port)])
    # `script` runs the server on a pseudo-terminal, as a person starting it by hand would.
    with subprocess.Popen(
        ["script", "-qfec", command, "/dev/null"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "METERHUB_MQTT_PORT": "0"},
    ) as server:
        try:
            shown = output_until_serving(server)
        finally:
            server.terminate()
            server.wait(20)
    assert re.search(r"API key\s+[A-Z0-9]{64}", shown) and "admin@localhost" in shown, shown
    assert not (tmp_path / "first-start.txt").exists()


def test_a_port_in_use_is_a_clear_error_at_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with serving(tmp_path, _free_port(), busy) as server:
            said = server.communicate(timeout=30)[0]
        assert (
            server.returncode != 0 and f"127.0.0.1:{busy} is in use" in said and "METERHUB_MQTT_PORT" in said
        )


def test_users_sites_keys_and_contracts(tmp_path: Path) -> None:
    run(tmp_path, "user", "add", "ann@example.org", "--password", "s3cret-enough")
    assert "ann@example.org" in run(tmp_path, "user", "list")
    assert "site 1 'Flat'" in run(
        tmp_path, "site", "add", "Flat", "--owner", "ann@example.org", "--timezone", "Europe/Brussels"
    )
    created = run(tmp_path, "key", "create", "--user", "ann@example.org", "--site", "1", "--scope", "read")
    key = created.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Z0-9]{64}", key)
    default = (
        run(tmp_path, "key", "create", "--user", "ann@example.org", "--site", "1").strip().splitlines()[-1]
    )
    assert re.fullmatch(r"[A-Z0-9]{64}", default)
    listed = run(tmp_path, "key", "list")
    assert "read, write" in listed
    assert key not in listed and key[:4] in listed and "active" in listed
    run(tmp_path, "key", "revoke", "1")
    assert "revoked" in run(tmp_path, "key", "list")
    run(
        tmp_path,
        "tariff",
        "add",
        "--site",
        "1",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
        "--import-t1",
        "0.21",
    )
    assert "0.21" in run(tmp_path, "tariff", "list", "--site", "1")
    assert "off" in (run(tmp_path, "site", "api", "1", "off") + run(tmp_path, "site", "list"))
    run(tmp_path, "user", "passwd", "ann@example.org", stdin="an0ther-secret\n")
    run(tmp_path, "user", "add", "bob@example.org", "--password", "bobs-secret")
    assert "may write site 1" in run(tmp_path, "site", "member", "1", "bob@example.org", "--access", "write")
    run(tmp_path, "tariff", "remove", "1", "--site", "1")
    assert "0.21" not in run(tmp_path, "tariff", "list", "--site", "1")
    bad = subprocess.run(
        [*MEHUB, "site", "add", "X", "--owner", "nobody@example.org", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "no user with email" in bad.stdout
    forever = subprocess.run(
        [
            *MEHUB,
            "key",
            "create",
            "--user",
            "ann@example.org",
            "--expires-days",
            "3000000",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert forever.returncode == 2 and "valid for 1 to 2,000,000 days" in forever.stdout
    assert "Traceback" not in forever.stdout + forever.stderr


def test_sites_whereabouts_and_devices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def mehub(*args: str) -> str:  # in this process: a child each would spend its time importing
        cli.main([*args, "--data-dir", str(tmp_path)])
        return capsys.readouterr().out

    mehub("user", "add", "ann@example.org", "--password", "s3cret-enough")
    mehub("site", "add", "Roof", "--owner", "ann@example.org")
    where = (
        "--address",
        "Rue du Lac 4, Renens",
        "--lat",
        "46.54",
        "--lon",
        "6.59",
        "--tag",
        "pv",
        "--tag",
        "battery",
    )
    said = mehub("site", "set", "1", *where)
    assert "site 1 'Roof': Rue du Lac 4, Renens; at 46.54, 6.59; tags pv, battery" in said, said
    assert "pv, battery" in mehub("site", "list")
    assert "tags" not in mehub("site", "set", "1", "--no-tags")
    dataset = mehub("dataset", "add", "victron", "--site", "1", "-q").strip()
    stream = mehub("stream", "add", dataset, "pv/yield", "--role", "pv_kwh", "-q").strip()
    assert "kWh  counter" in mehub("stream", "list")
    charger = ("--kind", "solar_charger", "--product", "SmartSolar MPPT", "--instance", "279")
    made = mehub(
        "device",
        "add",
        "--site",
        "1",
        *charger,
        "--serial",
        "HQ22",
        "--firmware",
        "v3.16",
        "--stream",
        stream,
        "-q",
    )
    assert made.strip() == "1"
    listed = mehub("device", "list", "--site", "1")
    assert all(word in listed for word in ("solar_charger", "SmartSolar", "279", "HQ22", "v3.16")), listed
    for mistake, says in (
        (("site", "set", "7", "--address", "x"), "no site with id 7"),
        (("device", "add", "--site", "7", "--kind", "inverter"), "no site with id 7"),
        (("device", "add", "--site", "1", "--kind", "inverter", "--stream", "99"), "no datastreams [99]"),
    ):
        with pytest.raises(SystemExit) as exited:
            mehub(*mistake)
        assert exited.value.code == 2 and says in capsys.readouterr().out
    # As a user runs it: one line, no traceback.
    done = subprocess.run(
        [*MEHUB, "site", "set", "1", "--lat", "91", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "latitude 91.0 is not between -90 and 90 degrees" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@contextmanager
def broker_of(mode: str, directory: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Where `meterhub serve` takes MQTT in that mode: its port, and the environment to say so."""
    if mode == "embedded":
        port = _free_port()
        yield port, {"METERHUB_MQTT_PORT": str(port)}
    else:
        with mosquitto(directory / "mosquitto") as broker:
            yield broker.port, {"METERHUB_MQTT_URL": broker.admin_url}


@pytest.mark.parametrize("mode", ["embedded", "mosquitto"])
def test_serve_with_the_documents_command_line_clients(tmp_path: Path, mode: str) -> None:
    with broker_of(mode, tmp_path) as (mqtt_port, env):
        port = _free_port()
        with serving(tmp_path, port, env=env) as server:
            output_until_serving(server)
            made = run(tmp_path, "dataset", "add", "my-topic-prefix", "--site", "1", env=env)
            dataset = re.search(r"dataset (\d+)", made)
            assert dataset, made
            made = run(tmp_path, "stream", "add", dataset[1], "my/topic/suffix", env=env)
            stream = re.search(r"datastream (\d+)", made)
            assert stream, made
            created = run(
                tmp_path,
                "key",
                "create",
                "--user",
                "admin@localhost",
                "--scope",
                "mqtt-pubsub",
                "--scope",
                "read",
                env=env,
            )
            key = created.strip().splitlines()[-1]
            # The document's commands with host, port and token; Mosquitto also needs the token as password.
            at = [
                "-h",
                "127.0.0.1",
                "-p",
                str(mqtt_port),
                "-u",
                key,
                *(["-P", key] if mode == "mosquitto" else []),
            ]
            # -d (debug) has mosquitto_sub tell of its SUBACK (line-buffered through stdbuf: a pipe's
            # buffer would hold it back): the publish goes out once the listener listens.
            subscriber = ["mosquitto_sub", "-t", "#", *at, "-i", "my-listener", "-C", "1", "-W", "20"]
            with subprocess.Popen(
                ["stdbuf", "-oL", *subscriber, "-d"],
                stdout=subprocess.PIPE,
                text=True,
            ) as listener:
                assert listener.stdout is not None
                assert any("received SUBACK" in line for line in listener.stdout), "mosquitto_sub ended"
                message = '{"value":"0.16300000250339508","timestamp":1521797973052}'
                subprocess.run(
                    [
                        "mosquitto_pub",
                        "-t",
                        "my-topic-prefix/my/topic/suffix",
                        *at,
                        "-i",
                        "me",
                        "-q",
                        "1",
                        "-m",
                        message,
                    ],
                    check=True,
                    timeout=20,
                )
                heard = listener.communicate(timeout=20)[0].splitlines()
                debug = ("Client ", "Subscribed (mid")  # -d's lines, the SUBACK's callback's among them
                assert [line for line in heard if not line.startswith(debug)] == [message], heard
            values = f"http://127.0.0.1:{port}/api/v1/datastreams/values?ids={stream[1]}&latest=true"
            answered = until(
                lambda: httpx.get(values, headers={"Authorization": f"Bearer {key}"}),
                lambda answer: "1521797973052" in answer.text,
                5,
                what="the published value in the API's latest values",
                every=0.05,
            )
            assert "0.16300000250339508" in answered.text, answered.text
            run(tmp_path, "key", "revoke", "1", env=env)  # the first-start key: no MQTT client
            run(tmp_path, "key", "revoke", "2", env=env)
            refused = subprocess.run(
                ["mosquitto_pub", "-t", "my-topic-prefix/my/topic/suffix", *at, "-m", message],
                capture_output=True,
                text=True,
                timeout=20,
            )
            assert refused.returncode != 0 and "not authori" in refused.stderr.lower(), refused.stderr


def test_an_external_broker_out_of_reach_is_a_clear_error_at_start(tmp_path: Path) -> None:
    unreachable = {"METERHUB_MQTT_URL": f"mqtt://admin:secret@127.0.0.1:{_free_port()}"}
    with serving(tmp_path, _free_port(), env=unreachable) as server:
        said = server.communicate(timeout=30)[0]
    assert server.returncode != 0 and "cannot be reached" in said and "Traceback" not in said, said


@pytest.mark.parametrize("where", ["METERHUB_PORT", "METERHUB_URL"])
def test_import_without_a_server_says_in_one_line_where_it_looked_and_how_to_look_elsewhere(
    tmp_path: Path, where: str
) -> None:
    readings = tmp_path / "readings.csv"
    readings.write_text(";1\n2026-01-01T00:00:00Z;4.5\n")
    closed = _free_port()  # nothing listens on it
    url = f"http://127.0.0.1:{closed}"
    env = {k: v for k, v in os.environ.items() if k not in ("METERHUB_URL", "METERHUB_PORT")}
    env[where] = url if where == "METERHUB_URL" else str(closed)
    done = subprocess.run(
        [*MEHUB, "import", str(readings), "--token", "T"], capture_output=True, text=True, env=env, timeout=60
    )
    said = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(said) == 1, done.stdout + done.stderr
    assert url in said[0] and "--url" in said[0] and "METERHUB_URL" in said[0], said
    assert "Traceback" not in done.stdout + done.stderr
