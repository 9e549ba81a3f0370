"""Proposed categories for unread words, and the draft synonyms file they become."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from hybrid.query.suggest import CategorySuggester, Suggestion, draft, labelled_words, ranked_votes
from hybrid.query.synonyms import ShopSynonyms, parse_synonyms

BOOTS = "Footwear > Boots"
BAGS = "Bags"


def test_neighbours_vote_with_their_similarity() -> None:
    similarities = np.array([0.9, 0.8, 0.7, 0.1, -0.5])
    labels = [BOOTS, BAGS, BAGS, BOOTS, BAGS]
    ranked = ranked_votes(similarities, labels, neighbours=3)
    assert [(label, round(share, 3), i) for label, share, i in ranked] == [
        (BAGS, 0.625, 1),  # 0.8 + 0.7 of 2.4
        (BOOTS, 0.375, 0),
    ]


def test_a_left_out_entry_does_not_vote_and_negative_similarity_counts_nothing() -> None:
    similarities = np.array([0.9, 0.8, -0.2])
    labels = [BOOTS, BAGS, BOOTS]
    ranked = ranked_votes(similarities, labels, neighbours=2, skip={0})
    assert [(label, share) for label, share, _ in ranked] == [(BAGS, 1.0), (BOOTS, 0.0)]


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


def test_the_shops_synonyms_label_words_too_and_win() -> None:
    words = labelled_words(ShopSynonyms(categories=(("Sandal", BOOTS),)))
    assert words["sandal"] == BOOTS  # WordNet alone says Footwear
    assert words["boots"] == BOOTS  # the shop's own noun
    assert labelled_words()["sandal"] == "Footwear"


def test_a_draft_is_all_comments_until_a_person_uncomments_a_rule() -> None:
    rows = [{"word": "wellies", "searches": 4, "zero_results": 1, "relaxed": 2}]
    proposals = {
        "wellies": [
            Suggestion(BOOTS, 0.7, "wellington", 0.61),
            Suggestion(BAGS, 0.3, "tote", 0.2),
        ]
    }
    text = draft(rows, proposals, model="all-MiniLM-L6-v2", days=7)
    assert parse_synonyms(text) == ShopSynonyms()  # nothing is read as it stands
    assert "# wellies: 4 search(es), 1 found nothing, 2 relaxed" in text
    assert "#   0.70 of the vote; nearest 'wellington' (0.61)" in text
    accepted = text.replace(f"# wellies => category: {BOOTS}", f"wellies => category: {BOOTS}")
    assert parse_synonyms(accepted).categories == (("wellies", BOOTS),)


def test_no_lexicon_is_refused() -> None:
    with pytest.raises(ValueError, match="no labelled words"):
        CategorySuggester(_Encoder({}), {})
