"""The served guess for unread words: when it runs, what it reads, and a model that fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from hybrid import vocab
from hybrid.query.reading import Reading, read_query
from hybrid.query.request import UnderstandingMode
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


SETTINGS = Settings(word_model="all-MiniLM-L6-v2", text_model="off", word_guess_min_similarity=0.9)


def _guess(
    reading: Reading,
    *,
    settings: Settings = SETTINGS,
    known: frozenset[str] | None = None,
    mode: UnderstandingMode = "filter",
    alone: bool = True,
) -> Reading:
    return guessing.guess_category(
        reading, settings, ShopSynonyms(), known=known, mode=mode, alone=alone
    )


def test_an_unread_word_near_a_labelled_one_names_the_category(
    shop: FacetVocabulary, fake_model: None
) -> None:
    reading = read_query("bumbag", shop, mode="filter")
    guessed = _guess(reading)
    assert guessed.parsed.categories == [BAGS]
    assert "by all-MiniLM-L6-v2" in guessed.notes[-1]
    far = read_query("comfy", shop, mode="filter")  # 0.71 from both: below the bar
    assert _guess(far) is far
    # A category the index does not hold is never read.
    assert _guess(reading, known=frozenset({"Footwear", "Footwear > Boots"})) is reading


def test_only_a_text_query_alone_in_filter_mode_is_guessed(
    shop: FacetVocabulary, fake_model: None
) -> None:
    reading = read_query("bumbag", shop, mode="filter")
    assert _guess(reading, alone=False) is reading  # a photo, a product id or a category filter
    assert _guess(reading, mode="boost") is reading  # a guess is a filter or nothing
    assert _guess(reading, mode="off") is reading


def test_a_negated_word_or_an_excluded_category_is_never_guessed(
    shop: FacetVocabulary, fake_model: None
) -> None:
    negated = read_query("not bumbag", shop, mode="filter")
    assert negated.excluded_words == ["bumbag"]
    assert _guess(negated) is negated
    excluded = read_query("bumbag but not bags", shop, mode="filter")
    assert [span.value for span in excluded.excluded] == [BAGS]
    assert _guess(excluded) is excluded  # Bags, or anything under it, was excluded


def test_a_query_that_names_a_category_is_not_guessed(
    shop: FacetVocabulary, fake_model: None
) -> None:
    reading = read_query("bumbag boots", shop, mode="filter")
    assert reading.parsed.categories == ["Footwear > Boots"]
    assert _guess(reading) is reading


def test_off_guesses_nothing_and_loads_nothing(shop: FacetVocabulary) -> None:
    reading = read_query("bumbag", shop, mode="filter")
    off = Settings(word_model="off")
    assert off.guessing_model is None
    assert _guess(reading, settings=off) is reading


def test_the_word_model_guesses_even_with_the_text_model_leg_on() -> None:
    # Its threshold was calibrated for it; another model would read unrelated words.
    assert Settings(text_model="/models/text", word_model="x").guessing_model == "x"


def test_a_model_that_cannot_load_costs_the_guesses_once_not_the_search(
    shop: FacetVocabulary, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = f"{tmp_path}/no-such-model"
    settings = Settings(word_model=missing)
    reading = read_query("bumbag", shop, mode="filter")
    with caplog.at_level(logging.WARNING, logger="hybrid.search.guessing"):
        guessing.warm(settings, ShopSynonyms())  # the API's warm-up goes on
        first = _guess(reading, settings=settings)
        second = _guess(reading, settings=settings)
    assert first is reading and second is reading
    warned = [r.getMessage() for r in caplog.records if "not guessed" in r.getMessage()]
    assert len(warned) == 1 and "no-such-model" in warned[0]


def _narrowing_encode(texts: Sequence[str]) -> np.ndarray:
    table = {
        "boot": [1.0, 0.0, 0.0],
        "trainer": [0.0, 1.0, 0.0],
        "tote": [0.0, 0.0, 1.0],
        "galoshes": [0.9, 0.2, 0.0],
        "shoes": [0.95, 0.1, 0.0],
        "bumbag": [0.3, 0.0, 0.98],
        "satchel": [0.3, 0.0, 1.0],
        "kitbag": [0.0, 0.8, 0.6],
    }
    rows = np.array([table[text] for text in texts])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def leaf_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    words = {
        "boot": "Footwear > Boots",
        "trainer": "Footwear > Sneakers",
        "tote": "Bags > Handbags",
        "satchel": BAGS,
        "kitbag": "Bags > Backpacks",
    }
    suggester = CategorySuggester(_narrowing_encode, words)
    monkeypatch.setattr(guessing, "word_guesser", lambda settings, synonyms: suggester)
    yield


def test_a_guessed_top_level_is_narrowed_to_the_nearest_leaf(
    shop: FacetVocabulary, leaf_model: None
) -> None:
    reading = read_query("green bumbag", shop, mode="filter")
    narrowed = _guess(reading)  # guessed Bags (the satchel), narrowed to the tote's leaf
    assert narrowed.parsed.categories == ["Bags > Handbags"]
    assert narrowed.parsed.colour_families == ["green"]
    assert [note.split(" (")[0] for note in narrowed.notes] == [
        "'bumbag' read as 'Bags' by all-MiniLM-L6-v2",
        "'bumbag' narrowed from 'Bags' to 'Bags > Handbags' by all-MiniLM-L6-v2",
    ]
    # A model's guess: the word stays on the synonyms file's worklist.
    assert narrowed.guessed == ("bumbag",) and narrowed.unread == ["bumbag"]
    # Only to a leaf the index holds; a margin of 1 keeps the guessed top level.
    held = frozenset({BAGS, "Bags > Backpacks"})
    assert _guess(reading, known=held).parsed.categories == ["Bags > Backpacks"]
    strict = SETTINGS.model_copy(update={"word_leaf_min_margin": 1.0})
    assert _guess(reading, settings=strict).parsed.categories == [BAGS]
    # A shopper who excluded a leaf gets no guess of the top level above it, so no narrowing.
    excluded = read_query("bumbag but not handbags", shop, mode="filter")
    assert _guess(excluded) is excluded


def test_a_top_level_read_by_a_table_or_wordnet_is_never_narrowed(
    shop: FacetVocabulary, leaf_model: None
) -> None:
    # WordNet places galoshes in Footwear because they are in none of its leaves; the shop's
    # own "shoes" means all of it. Both are nearer a boot than a trainer in this model.
    for text in ("black galoshes", "shoes"):
        reading = read_query(text, shop, mode="filter")
        assert reading.parsed.categories == ["Footwear"]
        assert _guess(reading) is reading
