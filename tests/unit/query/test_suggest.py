"""Proposed categories for unread words, and the draft synonyms file they become."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from hybrid.query.suggest import (
    CategorySuggester,
    Suggestion,
    draft,
    labelled_words,
    ranked_categories,
)
from hybrid.query.synonyms import ShopSynonyms, parse_synonyms

BOOTS = "Footwear > Boots"
BAGS = "Bags"


def test_each_category_ranks_by_its_nearest_word_not_by_how_many_words_it_has() -> None:
    similarities = np.array([0.5, 0.9, 0.4, 0.45, 0.3])
    labels = [BAGS, BOOTS, BAGS, BAGS, BAGS]  # four bag words, one closer boot word
    ranked = ranked_categories(similarities, labels)
    assert [(near.label, near.position, near.similarity) for near in ranked] == [
        (BOOTS, 1, 0.9),
        (BAGS, 0, 0.5),
    ]


def test_a_left_out_entry_does_not_count_and_dissimilar_ones_propose_nothing() -> None:
    similarities = np.array([0.9, 0.8, -0.2, 0.0])
    labels = [BOOTS, BAGS, "Home > Mugs", "Home > Cushions"]
    assert [near.label for near in ranked_categories(similarities, labels, skip={0})] == [BAGS]
    assert ranked_categories(np.array([-0.1, -0.3]), [BOOTS, BAGS]) == []


class _Encoder:
    """Unit vectors from a table, as a text model would return them."""

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = table
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.array([self.table[text] for text in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_suggester_embeds_the_lexicon_once_and_ranks_each_word() -> None:
    encoder = _Encoder(
        {
            "boot": [1, 0, 0],
            "wellington": [0.9, 0.1, 0],
            "tote": [0, 1, 0],
            "rubber boots": [0.95, 0, 0.1],
            "carryall": [0.1, 1, 0],
        }
    )
    suggester = CategorySuggester(encoder, {"boot": BOOTS, "wellington": BOOTS, "tote": BAGS})
    got = suggester.suggest(["rubber boots", "carryall"], top=1)
    assert encoder.calls == [["boot", "wellington", "tote"], ["rubber boots", "carryall"]]
    assert [s.category for s in got["rubber boots"]] == [BOOTS]
    assert got["rubber boots"][0].nearest == "boot"
    assert got["carryall"][0].category == BAGS
    assert suggester.suggest([]) == {}


def test_a_guess_takes_the_nearest_word_of_any_unread_word_or_of_all_together() -> None:
    encoder = _Encoder(
        {
            "boot": [1, 0, 0],
            "tote": [0, 1, 0],
            "comfy": [0.3, 0.3, 1],
            "wellies": [0.9, 0.2, 0.1],
            "comfy wellies": [0.7, 0.1, 0.6],
        }
    )
    suggester = CategorySuggester(encoder, {"boot": BOOTS, "tote": BAGS})
    got = suggester.guess(["comfy", "wellies"], min_similarity=0.5)
    assert got is not None
    assert (got.words, got.category, got.nearest) == ("wellies", BOOTS, "boot")
    assert got.similarity == pytest.approx(0.9 / np.linalg.norm([0.9, 0.2, 0.1]))
    assert suggester.guess(["comfy"], min_similarity=0.5) is None  # 0.28 from either
    assert suggester.guess([], min_similarity=0.5) is None
    suggester.guess(["wellies"], min_similarity=0.5)
    assert encoder.calls[-1] == ["comfy", "wellies", "comfy wellies"]  # the rest came cached


def test_the_shops_synonyms_label_words_too_and_win() -> None:
    words = labelled_words(ShopSynonyms(categories=(("Sandal", BOOTS),)))
    assert words["sandal"] == BOOTS  # WordNet alone says Footwear
    assert words["boots"] == BOOTS  # the shop's own noun
    assert labelled_words()["sandal"] == "Footwear"


def test_a_draft_is_all_comments_until_a_person_uncomments_a_rule() -> None:
    rows = [{"word": "wellies", "searches": 4, "zero_results": 1, "relaxed": 2}]
    proposals = {"wellies": [Suggestion(BOOTS, "wellington", 0.61), Suggestion(BAGS, "tote", 0.2)]}
    text = draft(rows, proposals, model="all-MiniLM-L6-v2", days=7)
    assert parse_synonyms(text) == ShopSynonyms()  # nothing is read as it stands
    assert "# wellies: 4 search(es), 1 found nothing, 2 relaxed" in text
    assert "#   nearest labelled word 'wellington' (0.61)" in text
    rule = f"wellies => category: {BOOTS}\n"
    assert parse_synonyms(text.replace(f"# {rule}", rule)).categories == (("wellies", BOOTS),)


@pytest.mark.parametrize("word", ["a,b", "x => category: Bags", "two\nlines", "#hash"])
def test_a_word_no_rule_can_hold_gets_no_rule_line(word: str) -> None:
    rows = [{"word": word, "searches": 1, "zero_results": 0, "relaxed": 0}]
    text = draft(rows, {word: [Suggestion(BAGS, "tote", 0.5)]}, model="m", days=1)
    mentions = [line for line in text.splitlines() if f"category: {BAGS}" in line]
    assert all("no rule proposed" in line for line in mentions)
    assert "no rule proposed" in text
    assert parse_synonyms(text) == ShopSynonyms()  # still all comments, line breaks included


def test_hyphens_apostrophes_and_digits_still_make_rules() -> None:
    for word in ("hi-tops", "levi's", "501s"):
        rows = [{"word": word, "searches": 1, "zero_results": 0, "relaxed": 0}]
        text = draft(rows, {word: [Suggestion(BAGS, "tote", 0.5)]}, model="m", days=1)
        rule = f"{word} => category: {BAGS}\n"
        assert parse_synonyms(text.replace(f"# {rule}", rule)).categories == ((word, BAGS),)


def test_no_lexicon_is_refused() -> None:
    with pytest.raises(ValueError, match="expected labelled words"):
        CategorySuggester(_Encoder({}), {})


def test_a_top_level_is_narrowed_to_the_leaf_nearest_by_a_clear_margin() -> None:
    encoder = _Encoder(
        {
            "boot": [1, 0, 0],
            "trainer": [0, 1, 0],
            "tote": [0, 0, 1],
            "galosh": [0.9, 0.2, 0.3],
            "shoe": [0.7, 0.7, 0],
        }
    )
    suggester = CategorySuggester(
        encoder, {"boot": BOOTS, "trainer": "Footwear > Sneakers", "tote": "Bags > Handbags"}
    )
    leaves = {BOOTS, "Footwear > Sneakers"}
    guess = suggester.refine("galosh", leaves, min_margin=0.1)
    assert guess is not None
    assert (guess.words, guess.category, guess.nearest) == ("galosh", BOOTS, "boot")
    # The handbag word is nearer than the sneaker word but is no leaf of this top level.
    assert guess.similarity == pytest.approx(0.9 / np.linalg.norm([0.9, 0.2, 0.3]))
    assert suggester.refine("shoe", leaves, min_margin=0.1) is None  # a tie: the top level stays
    # A leaf with no labelled word has no known distance: no margin can be measured.
    assert suggester.refine("galosh", {*leaves, "Footwear > Sandals"}, min_margin=0.0) is None
    assert suggester.refine("galosh", set(), min_margin=0.0) is None
