"""``hybrid searchlog unread --draft``: a draft is a new file, refused before any work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybrid.cli import app
from hybrid.settings import get_settings

#: Nothing listens here: a refused draft must fail before Elasticsearch is asked anything.
DEAD_ES = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HYBRID_ES_URL", DEAD_ES)
    monkeypatch.delenv("HYBRID_SYNONYMS_FILE", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _unread(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["searchlog", "unread", *args])
    return result.exit_code, " ".join(result.output.split())


def test_the_live_synonyms_file_is_never_a_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = tmp_path / "synonyms.txt"
    live.write_text("wellies => category: Footwear > Boots\n", encoding="utf-8")
    monkeypatch.setenv("HYBRID_SYNONYMS_FILE", str(live))
    get_settings.cache_clear()
    code, output = _unread("--draft", str(tmp_path / "." / "synonyms.txt"))
    assert code == 1
    assert "is the live synonyms file" in output
    assert live.read_text(encoding="utf-8") == "wellies => category: Footwear > Boots\n"


def test_an_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    earlier = tmp_path / "draft.txt"
    earlier.write_text("# my notes\n", encoding="utf-8")
    code, output = _unread("--draft", str(earlier))
    assert (code, "exists; expected a new file" in output) == (1, True)
    assert earlier.read_text(encoding="utf-8") == "# my notes\n"


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    code, output = _unread("--draft", str(tmp_path / "nowhere" / "draft.txt"))
    assert code == 1
    assert "no directory" in output
    assert "nowhere" in output
