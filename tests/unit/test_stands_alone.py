"""The suite needs nothing beside the repository (tests/stands_alone.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.stands_alone import AUDIT, REPOSITORY, OutsideTheRepository

ELSEWHERE = Path("/meterhub-elsewhere/expected.json")
# Beside the repository, unless its folder is a temporary directory as a whole (nothing is beside it).
BESIDE = [REPOSITORY.parent / "next-to-the-clone" / "expected.json"] if AUDIT.beside else []


@pytest.mark.parametrize("place", [ELSEWHERE, *BESIDE], ids=["elsewhere", *["beside"] * len(BESIDE)])
def test_a_file_outside_the_repository_cannot_be_opened(place: Path, request: pytest.FixtureRequest) -> None:
    with pytest.raises(OutsideTheRepository, match="copy it into tests/fixtures/"):
        place.read_text()
    assert AUDIT.strays.pop() == (request.node.nodeid, str(place))


def test_files_in_the_repository_and_temporary_directories_can(tmp_path: Path) -> None:
    (REPOSITORY / "tests" / "fixtures" / "README.md").read_text()
    (tmp_path / "scratch").write_text("ok")
    assert not AUDIT.strays


def test_each_checkout_tests_on_a_postgresql_database_of_its_own(tmp_path: Path) -> None:
    """Two checkouts testing at once on one machine never drop each other's schema."""
    urls = []
    for checkout in ("one/meterhub", "two/meterhub"):
        scripts = tmp_path / checkout / "scripts"
        scripts.mkdir(parents=True)
        shutil.copy(REPOSITORY / "scripts" / "postgres", scripts / "postgres")
        env = {k: v for k, v in os.environ.items() if k != "METERHUB_TEST_DB"}
        made = subprocess.run([scripts / "postgres"], capture_output=True, text=True, env=env, check=True)
        urls.append(made.stdout.strip())
    for url in urls:
        subprocess.run(
            ["psql", url.rsplit("/", 1)[0] + "/postgres", "-qc", f"DROP DATABASE {url.rsplit('/', 1)[1]}"],
            check=True,
        )
    assert urls[0] != urls[1]
    assert all(url.startswith("postgresql://postgres@127.0.0.1:5432/meterhub_test_meterhub_") for url in urls)


def test_no_document_points_above_the_repository() -> None:
    """The README, the contracts, the fixtures and the benchmarks name only what a clone holds."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    above = "../"  # a path out of the repository
    pointing = [
        name
        for name in listed
        if name.endswith((".md", ".py", ".txt", ".toml", ".sh"))
        and name != "tests/unit/test_stands_alone.py"
        and above in (REPOSITORY / name).read_text(encoding="utf-8", errors="replace")
    ]
    assert pointing == []
