"""energydata.dk's MQTT (its document's section 3), run as long as the server: the embedded broker,
or the ingest bridge of an external Mosquitto when METERHUB_MQTT_URL is set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from meterhub.mqtt.bridge import start_bridge
from meterhub.mqtt.embedded import EmbeddedBroker
from meterhub.platform import Platform


@asynccontextmanager
async def mqtt(platform: Platform) -> AsyncIterator[None]:
    """The broker or bridge the settings ask for (none with METERHUB_MQTT_PORT=0 and no URL)."""
    settings = platform.settings
    if settings.mqtt_url:
        bridge = await asyncio.to_thread(start_bridge, platform)
        try:
            yield
        finally:
            await asyncio.to_thread(bridge.stop)
    elif settings.mqtt_port:
        broker = await _start_broker(platform)
        try:
            yield
        finally:
            await broker.shutdown()
    else:
        yield


async def _start_broker(platform: Platform) -> EmbeddedBroker:
    settings = platform.settings
    broker = EmbeddedBroker(
        platform,
        host=settings.host,
        port=settings.mqtt_port,
        tls_port=settings.mqtt_tls_port,
        certfile=settings.mqtt_certfile,
        keyfile=settings.mqtt_keyfile,
    )
    try:
        await broker.start()
    except Exception as exc:
        raise SystemExit(
            f"the MQTT broker cannot listen on {settings.host}:{settings.mqtt_port} ({exc}); "
            "choose another port with METERHUB_MQTT_PORT, or 0 to run without MQTT"
        ) from None
    return broker
