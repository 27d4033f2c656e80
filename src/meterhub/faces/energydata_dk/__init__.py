"""The energydata.dk face: datastream values as CSV, the batch CSV import, and MQTT."""

from __future__ import annotations

import re

from meterhub.faces.energydata_dk import imports, values
from meterhub.faces.energydata_dk.errors import domain_error, http_error, validation_error
from meterhub.faces.energydata_dk.mqtt import mqtt
from meterhub.web.face import Face

FACE = Face(
    name="energydata.dk",
    summary="datastream values as CSV, MQTT, batch CSV import (bearer tokens)",
    routers=(values.router, imports.router),
    claims=("/api/v1/datastreams", "/api/v1/import"),
    # The import file's upload streams to disk with its own limit (Settings.import_max_bytes).
    streamed=(re.compile(r"/api/v1/import/[^/]+/upload"),),
    services=(mqtt,),
    domain_error=domain_error,
    http_error=http_error,
    validation_error=validation_error,
)
