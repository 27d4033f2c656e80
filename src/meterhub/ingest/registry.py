"""Which datastream a meter's quantity goes to; meters and streams are registered on first sight."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from meterhub.store import meters
from meterhub.store.db import Database


@dataclass
class MeterStreams:
    meter_id: int
    protocol: str
    streams: dict[str, int] = field(default_factory=dict)


class Registry:
    """A cache over the meters table; a miss registers the meter (or its new roles) once."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[tuple[int, str, str], MeterStreams] = {}
        self._lock = threading.Lock()

    def streams(
        self, *, site_id: int, meter_type: str, equipment_id: str, protocol: str, roles: Iterable[str]
    ) -> MeterStreams:
        """The meter's streams, with one for each of the roles."""
        key = (site_id, meter_type, equipment_id)
        wanted = set(roles)
        found = self._cache.get(key)
        if found is not None and wanted <= found.streams.keys() and found.protocol == protocol:
            return found
        with self._lock, self._db.writer.begin() as conn:
            meter = meters.find_meter(conn, site_id=site_id, meter_type=meter_type, equipment_id=equipment_id)
            if meter is None:
                meter = meters.add_meter(
                    conn, site_id=site_id, meter_type=meter_type, equipment_id=equipment_id, protocol=protocol
                )
            elif meter.protocol != protocol:
                meters.set_protocol(conn, meter_id=meter.id, protocol=protocol)
            have = meters.meter_streams(conn, meter.id)
            missing = wanted - have.keys()
            if missing:
                dataset_id = meters.site_dataset(conn, site_id)
                have.update(
                    meters.add_streams(conn, dataset_id=dataset_id, meter_id=meter.id, roles=sorted(missing))
                )
            found = MeterStreams(meter.id, protocol, have)
        self._cache[key] = found
        return found

    def forget(self) -> None:
        """Drop the cache (after meters were changed elsewhere)."""
        self._cache.clear()
