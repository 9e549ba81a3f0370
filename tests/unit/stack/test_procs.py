"""hybrid.stack.procs: which directory an unprivileged user cannot enter."""

from __future__ import annotations

import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybrid.stack.procs import first_closed_directory

NOBODY = pwd.getpwnam("nobody")


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A scratch directory everyone may enter (pytest's own tmp_path sits under a 0700 one)."""
    path = Path(tempfile.mkdtemp())
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_0700_parent_is_the_directory_named(open_dir: Path) -> None:
    closed = open_dir / "closed"
    home = closed / "home" / "elasticsearch"
    home.mkdir(parents=True)
    closed.chmod(0o700)
    assert first_closed_directory(home, NOBODY) == closed


def test_searchable_directories_and_paths_not_yet_created_pass(open_dir: Path) -> None:
    (open_dir / "open").mkdir(mode=0o711)
    assert first_closed_directory(open_dir / "open", NOBODY) is None
    assert first_closed_directory(open_dir / "open" / "later" / "es", NOBODY) is None
