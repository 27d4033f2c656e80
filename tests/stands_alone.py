"""The suite runs from a clone with nothing beside it: a test that opens a file outside the
repository, its virtual environment, the Python it runs on, the system's own files and the
temporary directories fails, naming the file (a copy belongs in `tests/fixtures/`).

An audit hook sees every `open` of this process; servers the tests start as subprocesses read
what the package reads, which is inside the repository or its virtual environment.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
# What an installed system offers every program: its libraries, time zones, certificates, devices.
SYSTEM = ("/usr", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev", "/run", "/var/run")


class OutsideTheRepository(PermissionError):
    """A test opened a file a fresh clone does not have."""


@dataclass
class Audit:
    """The files opened outside the allowed places, each with the test that opened it."""

    allowed: tuple[str, ...]
    # The folder holding the repository (unless it is an allowed place as a whole, such as /tmp):
    # what is in it beside the repository is exactly what a fresh clone lacks, even inside /tmp.
    beside: tuple[str, ...]
    own: tuple[str, ...]  # the repository and the Python it runs on, which may live in that folder
    strays: list[tuple[str, str]] = field(default_factory=list)

    def check(self, path: str) -> None:
        real = os.path.realpath(path)
        allowed = _under(os.path.abspath(path), self.allowed) and _under(real, self.allowed)
        if allowed and not (self.beside and _under(real, self.beside) and not _under(real, self.own)):
            return
        test = os.environ.get("PYTEST_CURRENT_TEST", "collection").removesuffix(" (call)")
        self.strays.append((test, path))
        raise OutsideTheRepository(
            f"{path} is outside the repository: a clone on a fresh machine does not have it; "
            "copy it into tests/fixtures/ and say where it came from in tests/fixtures/README.md"
        )

    def hook(self, event: str, args: tuple[object, ...]) -> None:
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            self.check(os.fsdecode(args[0]))


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def _allowed() -> tuple[str, ...]:
    places = {str(REPOSITORY), sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir(), *SYSTEM}
    return tuple(sorted({os.path.realpath(p) for p in places} | places))


def _beside(allowed: tuple[str, ...]) -> tuple[str, ...]:
    parent = os.path.realpath(REPOSITORY.parent)
    return () if parent in allowed or parent == os.sep else (parent,)


ALLOWED = _allowed()
AUDIT = Audit(
    ALLOWED,
    beside=_beside(ALLOWED),
    own=tuple({os.path.realpath(p) for p in (REPOSITORY, sys.prefix, sys.base_prefix, sys.exec_prefix)}),
)
# An audit hook cannot be removed; it is installed once, when conftest first imports this module.
sys.addaudithook(AUDIT.hook)
