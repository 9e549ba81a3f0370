"""The served guess for unread words: when it runs, what it reads, and a model that fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from hybrid import vocab
from hybrid.query.reading import read_query
from hybrid.query.suggest import CategorySuggester
from hybrid.query.synonyms import ShopSynonyms
from hybrid.query.vocabulary import FacetVocabulary
from hybrid.search import guessing
from hybrid.settings import Settings

BAGS = "Bags"


@pytest.fixture(scope="module")
def shop() -> FacetVocabulary:
    return FacetVocabulary.from_buckets([], [c.path for c in vocab.CATEGORIES], [])


def _encode(texts: Sequence[str]) -> np.ndarray:
    table = {"tote": [1.0, 0.0], "boot": [0.0, 1.0], "bumbag": [0.9, 0.1], "comfy": [0.5, 0.5]}
    rows = np.array([table[text] for text in texts])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    suggester = CategorySuggester(_encode, {"tote": BAGS, "boot": "Footwear > Boots"})
    monkeypatch.setattr(guessing, "word_guesser", lambda settings, synonyms: suggester)
    yield


def test_an_unread_word_near_a_labelled_one_names_the_category(
    shop: FacetVocabulary, fake_model: None
) -> None:
    settings = Settings(word_guess_min_similarity=0.9)
    reading = read_query("bumbag", shop, mode="filter")
    guessed = guessing.guess_category(reading, settings, ShopSynonyms(), known=None)
    assert guessed.parsed.categories == [BAGS]
    assert "by all-MiniLM-L6-v2" in guessed.notes[-1]
    far = read_query("comfy", shop, mode="filter")  # 0.71 from both: below the bar
    assert guessing.guess_category(far, settings, ShopSynonyms(), known=None) is far
    # A category the index does not hold is never read.
    known = frozenset({"Footwear", "Footwear > Boots"})
    assert guessing.guess_category(reading, settings, ShopSynonyms(), known=known) is reading


def test_a_query_that_names_a_category_is_not_guessed(
    shop: FacetVocabulary, fake_model: None
) -> None:
    reading = read_query("bumbag boots", shop, mode="filter")
    assert reading.parsed.categories == ["Footwear > Boots"]
    assert guessing.guess_category(reading, Settings(), ShopSynonyms(), known=None) is reading


def test_off_guesses_nothing_and_loads_nothing(shop: FacetVocabulary) -> None:
    reading = read_query("bumbag", shop, mode="filter")
    off = Settings(word_model="off")
    assert off.guessing_model is None
    assert guessing.guess_category(reading, off, ShopSynonyms(), known=None) is reading


def test_the_text_models_model_guesses_when_its_leg_is_on() -> None:
    assert Settings(text_model="/models/text", word_model="x").guessing_model == "/models/text"
    assert Settings(word_model="x").guessing_model == "x"


def test_a_model_that_cannot_load_costs_the_guesses_once_not_the_search(
    shop: FacetVocabulary, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = f"{tmp_path}/no-such-model"
    settings = Settings(word_model=missing)
    reading = read_query("bumbag", shop, mode="filter")
    with caplog.at_level(logging.WARNING, logger="hybrid.search.guessing"):
        first = guessing.guess_category(reading, settings, ShopSynonyms(), known=None)
        second = guessing.guess_category(reading, settings, ShopSynonyms(), known=None)
    assert first is reading and second is reading
    warned = [r.getMessage() for r in caplog.records if "not guessed" in r.getMessage()]
    assert len(warned) == 1 and "no-such-model" in warned[0]
