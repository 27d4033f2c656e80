"""How long a stored text may be and how large a stored integer: declared here once, for the schema
(`store/tables.py` sizes its columns by them) and for the faces that refuse longer or larger input at
the boundary, before it reaches the database to fail there."""

from __future__ import annotations

from typing import Final

# The largest integer on both databases: INTEGER columns (ids) and BIGINT ones (times, values).
INTEGER_MAX: Final = 2**31 - 1
BIGINT_MAX: Final = 2**63 - 1

EMAIL: Final = 254
CREDENTIAL_NAME: Final = 200
TOPIC_PREFIX: Final = 100
DATASET_NAME: Final = 200
TOPIC_SUFFIX: Final = 200
UNIT: Final = 16
IMPORT_NAME: Final = 200
