"""The app factory: the model is loaded before the API accepts its first request."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hybrid.api import create_app
from hybrid.errors import HybridSearchError
from hybrid.search import SearchService
from hybrid.settings import Settings


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_the_model_is_loaded_at_start_up() -> None:
    app = create_app(Settings(model="demo", es_url="http://127.0.0.1:9"))
    with TestClient(app):
        service = app.state.api.searcher()
        assert isinstance(service, SearchService)
        assert service._encoder is not None  # loaded by the lifespan, before any request
        assert "warm up" in service._encoder._texts  # and run once


def test_without_warm_up_the_model_waits_for_the_first_search() -> None:
    app = create_app(Settings(model="demo", es_url="http://127.0.0.1:9", warm_up=False))
    with TestClient(app):
        assert app.state.api._service is None


def test_a_model_that_cannot_load_stops_the_start_up(tmp_path: Path) -> None:
    app = create_app(Settings(model=str(tmp_path / "no-such-model"), es_url="http://127.0.0.1:9"))
    with pytest.raises(HybridSearchError, match="no-such-model"), TestClient(app):
        pass
