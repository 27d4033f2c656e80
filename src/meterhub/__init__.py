"""meterhub: one self-hosted energy-data platform behind five services' APIs."""

__version__ = "0.1.0"
