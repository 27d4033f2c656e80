"""The faces: each one service's API, translated onto meterhub's services. The app is built from
FACES (web/face.py says what a face declares); a new face is its package and its place here."""

from __future__ import annotations

from meterhub.faces import dsmr_reader, energydata_dk, management
from meterhub.web.face import Face

FACES: tuple[Face, ...] = (dsmr_reader.FACE, energydata_dk.FACE, management.FACE)
