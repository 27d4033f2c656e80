"""Mosquitto's dynamic-security plugin, administered over its `$CONTROL/dynamic-security/v1` topic.

Commands go out as JSON with a correlation id each; the plugin answers every one on the response
topic, with an `error` when it refused it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from meterhub.core.errors import MeterhubError, Unavailable

COMMANDS = "$CONTROL/dynamic-security/v1"
RESPONSES = f"{COMMANDS}/response"
TIMEOUT_S = 10.0


class BrokerUnavailable(Unavailable):
    """The external broker cannot be reached or refused meterhub's administrator."""


class DynsecRefused(MeterhubError):
    """The plugin refused a command."""


@dataclass(frozen=True)
class BrokerUrl:
    """Where the external broker listens and whom meterhub administers it as:
    `mqtt://user:password@host:port` (`mqtts://` for TLS)."""

    host: str
    port: int
    username: str
    password: str
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname or not parts.username:
            raise ValueError(
                f"METERHUB_MQTT_URL {url!r} is not mqtt://ADMIN:PASSWORD@HOST:PORT (the dynamic-security "
                "administrator made by `mosquitto_ctrl dynsec init`)"
            )
        tls = parts.scheme == "mqtts"
        return cls(
            parts.hostname,
            parts.port or (8883 if tls else 1883),
            unquote(parts.username),
            unquote(parts.password or ""),
            tls,
        )

    def client(self, client_id: str, username: str, password: str, **options: Any) -> mqtt.Client:
        """A paho client for this broker (not yet connected)."""
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, **options)
        client.username_pw_set(username, password)
        if self.tls:
            client.tls_set()
        return client

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


class DynamicSecurity:
    """One administrator connection; `run` sends commands and waits for their answers."""

    def __init__(self, url: BrokerUrl) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._answers: dict[str, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        self._client = url.client(f"meterhub-admin-{uuid.uuid4().hex[:8]}", url.username, url.password)
        self._client.on_message = self._answer
        connected, subscribed = threading.Event(), threading.Event()
        refused: list[str] = []

        def on_connect(client: mqtt.Client, _u: object, _f: object, rc: Any, _p: object = None) -> None:
            if rc.is_failure:
                refused.append(str(rc))
            else:
                client.subscribe(RESPONSES, qos=1)
            connected.set()

        self._client.on_connect = on_connect
        self._client.on_subscribe = lambda *_: subscribed.set()
        try:
            self._client.connect(url.host, url.port, keepalive=30)
        except OSError as exc:
            raise BrokerUnavailable(
                f"the MQTT broker at {url} cannot be reached ({exc}): start it, or check METERHUB_MQTT_URL"
            ) from None
        self._client.loop_start()
        if not connected.wait(TIMEOUT_S) or refused or not subscribed.wait(TIMEOUT_S):
            self.close()
            raise BrokerUnavailable(
                f"the MQTT broker at {url} refused the administrator {url.username!r} "
                f"({refused[0] if refused else 'no answer'}): check METERHUB_MQTT_URL"
            )

    def run(
        self, commands: Sequence[dict[str, Any]], *, tolerate: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Each command's `data` ({} when it has none), in order. DynsecRefused for an error, unless
        the error text contains one of `tolerate` (e.g. "already exists")."""
        if not commands:
            return []
        if not self.connected:
            raise BrokerUnavailable(
                f"the MQTT broker at {self.url} is not reachable: start it, then try again"
            )
        ids = [uuid.uuid4().hex for _ in commands]
        sent = [{**c, "correlationData": i} for c, i in zip(commands, ids, strict=True)]
        with self._lock:
            self._client.publish(COMMANDS, orjson.dumps({"commands": sent}), qos=1)
            with self._arrived:
                if not self._arrived.wait_for(lambda: all(i in self._answers for i in ids), TIMEOUT_S):
                    raise BrokerUnavailable(
                        f"the MQTT broker at {self.url} did not answer {commands[0]['command']}"
                    )
                answers = [self._answers.pop(i) for i in ids]
        for command, answer in zip(commands, answers, strict=True):
            error = answer.get("error")
            if error and not any(t in error for t in tolerate):
                raise DynsecRefused(f"Mosquitto refused {command['command']}: {error}")
        return [a.get("data") or {} for a in answers]

    @property
    def connected(self) -> bool:
        """Whether the administrator's connection is up (paho reconnects it when it drops)."""
        return self._client.is_connected()

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> DynamicSecurity:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _answer(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            responses = orjson.loads(message.payload).get("responses", [])
        except (orjson.JSONDecodeError, AttributeError):
            return
        with self._arrived:
            for response in responses:
                if isinstance(response, dict) and "correlationData" in response:
                    self._answers[response["correlationData"]] = response
            self._arrived.notify_all()
