"""A Mosquitto of the test's own: a free port, the dynamic-security plugin and persistence on, as
the README tells users to run it."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import _free_port
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PASSWORD = "admin", "admin-secret"


@dataclass
class Mosquitto:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def admin_url(self) -> str:
        return f"mqtt://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{self.port}"

    def log(self) -> str:
        return (self.directory / "mosquitto.log").read_text(errors="replace")


def _plugin() -> str:
    given = os.environ.get("METERHUB_TEST_DYNSEC_PLUGIN")
    if given:
        return given
    # Outside scripts/test: the same script finds (or installs) it.
    return subprocess.run(
        [ROOT / "scripts" / "mosquitto"], check=True, capture_output=True, text=True
    ).stdout.strip()


@contextmanager
def mosquitto(directory: Path) -> Iterator[Mosquitto]:
    """A Mosquitto with dynamic security on a free loopback port, stopped afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    dynsec = directory / "dynamic-security.json"
    subprocess.run(
        ["mosquitto_ctrl", "dynsec", "init", dynsec, ADMIN, ADMIN_PASSWORD], check=True, capture_output=True
    )
    port = _free_port()
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous false\n"
        # Mosquitto started by root drops to this user, who must own the plugin's file.
        f"user {getpass.getuser()}\n"
        f"plugin {_plugin()}\n"
        f"plugin_opt_config_file {dynsec}\n"
        "persistence true\n"
        f"persistence_location {directory}/\n"
        "max_queued_messages 1000000\n"
        f"log_dest file {directory / 'mosquitto.log'}\n"
    )
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)

    def listening() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"Mosquitto exited with {process.returncode} before listening on port {port}")
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True

    try:
        eventually(listening, 10, what=f"Mosquitto listening on port {port}", ignoring=(OSError,))
    except BaseException:
        process.kill()
        raise
    try:
        yield Mosquitto(port, directory, process)
    finally:
        process.terminate()
        process.wait(10)
