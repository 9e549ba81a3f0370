"""hybrid.api.app: the model is loaded before the API accepts its first request."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.fakes import CountingEmbedder

from hybrid.api import create_app
from hybrid.embedding import Embedder, get_embedder
from hybrid.errors import HybridSearchError
from hybrid.settings import Settings


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[CountingEmbedder]:
    """Every model the search service loads, wrapped to count its encode calls."""
    made: list[CountingEmbedder] = []

    def counting(settings: Settings) -> Embedder:
        made.append(CountingEmbedder(get_embedder(settings)))
        return made[-1]

    monkeypatch.setattr("hybrid.search.service.get_embedder", counting)
    return made


def test_the_model_is_loaded_and_run_once_at_start_up(counted: list[CountingEmbedder]) -> None:
    app = create_app(Settings(model="demo", es_url="http://127.0.0.1:9"))
    with TestClient(app):
        assert [embedder.calls for embedder in counted] == [1]  # before any request


def test_without_warm_up_the_model_waits_for_the_first_search(
    counted: list[CountingEmbedder],
) -> None:
    app = create_app(Settings(model="demo", es_url="http://127.0.0.1:9", warm_up=False))
    with TestClient(app):
        assert counted == []


def test_a_model_that_cannot_load_stops_the_start_up(tmp_path: Path) -> None:
    app = create_app(Settings(model=str(tmp_path / "no-such-model"), es_url="http://127.0.0.1:9"))
    with pytest.raises(HybridSearchError, match="no-such-model"), TestClient(app):
        pass


def test_a_malformed_synonyms_file_stops_the_api_at_start(tmp_path: Path) -> None:
    rules = tmp_path / "synonyms.txt"
    rules.write_text("runarounds => category: Footwear > Sneakers\nrunarounds\n", encoding="utf-8")
    with pytest.raises(HybridSearchError, match="line 2: expected"):
        create_app(Settings(model="demo", es_url="http://127.0.0.1:9", synonyms_file=rules))
