"""Draft rules for the shop's synonyms file: what a real text model guesses an unread word means.

The words understanding did not read ("comfy", "chucks") are the worklist of the synonyms file
(``hybrid searchlog unread``). A language model cannot read them safely at search time: a
category read there is a filter, and all-MiniLM-L6-v2 places a word outside the tables at
precision 0.97 only at recall 0.19 (``benchmarks/bench_word_guess.py``). It can *propose*: over
the words of the category lexicon, each left out in turn, the similarity-weighted vote of its
:data:`NEIGHBOURS` nearest labelled words ranks the right category first for 0.67 of them and
among the first three for 0.89 (same script). So the model ranks, a person decides:
:func:`draft` writes every proposal as a commented-out rule, and nothing here runs in a search.

Pure except for the encoder passed in (``texts -> unit vectors``, e.g.
:meth:`hybrid.embedding.SentenceTransformerEmbedder.encode_texts`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from hybrid.query.lexicon import category_words
from hybrid.query.synonyms import ShopSynonyms
from hybrid.vocab import CATEGORIES

#: How many nearest labelled words vote; 10 ranked best in leave-one-out (5: top-3 0.86, 10:
#: 0.89, 20: 0.91 but top-1 lower).
NEIGHBOURS: Final = 10
#: Categories proposed per word.
TOP: Final = 3

#: ``texts -> one unit vector a row``.
Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Suggestion:
    """One proposed category for a word: its share of the vote and the nearest word that voted."""

    category: str
    share: float
    nearest: str
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "share": round(self.share, 3),
            "nearest": self.nearest,
            "similarity": round(self.similarity, 3),
        }


def labelled_words(synonyms: ShopSynonyms | None = None) -> dict[str, str]:
    """Every word whose category is known: WordNet's, the shop's nouns, the synonyms file's."""
    words = dict(category_words())
    for category in CATEGORIES:
        words.update({noun.lower(): category.path for noun in (category.leaf, *category.nouns)})
    words.update({phrase.lower(): path for phrase, path in (synonyms or ShopSynonyms()).categories})
    return words


def ranked_votes(
    similarities: np.ndarray,
    labels: Sequence[str],
    *,
    neighbours: int = NEIGHBOURS,
    skip: Collection[int] = (),
) -> list[tuple[str, float, int]]:
    """``(label, share, nearest index)`` of the ``neighbours`` most similar entries, best first.

    Each neighbour votes for its label with its similarity (negative similarities count 0); a
    label's share is its part of the vote, and its nearest index the closest entry voting for it.
    Entries in ``skip`` do not vote (leave-one-out).
    """
    order = [int(i) for i in np.argsort(-similarities, kind="stable") if int(i) not in skip]
    votes: dict[str, float] = {}
    nearest: dict[str, int] = {}
    for i in order[:neighbours]:
        votes[labels[i]] = votes.get(labels[i], 0.0) + max(0.0, float(similarities[i]))
        nearest.setdefault(labels[i], i)
    total = sum(votes.values()) or 1.0
    ranked = sorted(votes, key=lambda label: (-votes[label], nearest[label]))
    return [(label, votes[label] / total, nearest[label]) for label in ranked]


class CategorySuggester:
    """Proposes categories for words by their nearest labelled words under one encoder."""

    def __init__(self, encode: Encoder, words: Mapping[str, str]) -> None:
        if not words:
            raise ValueError("no labelled words to compare with")
        self._encode = encode
        self._words = list(words)
        self._labels = [words[word] for word in self._words]
        self._vectors = encode(self._words)

    def suggest(self, words: Sequence[str], *, top: int = TOP) -> dict[str, list[Suggestion]]:
        """The ``top`` proposed categories of each word (none for an empty list)."""
        if not words:
            return {}
        similarities = self._encode(list(words)) @ self._vectors.T
        return {
            word: [
                Suggestion(label, share, self._words[i], float(row[i]))
                for label, share, i in ranked_votes(row, self._labels)[:top]
            ]
            for word, row in zip(words, similarities, strict=True)
        }


def draft(
    rows: Sequence[Mapping[str, Any]],
    suggestions: Mapping[str, Sequence[Suggestion]],
    *,
    model: str,
    days: int,
) -> str:
    """A synonyms file in which every proposed rule is commented out, for a person to check.

    ``rows`` are :func:`hybrid.es.unread_words` rows, most searched first. Uncommenting a rule
    line gives a rule :func:`hybrid.query.synonyms.parse_synonyms` reads.
    """
    lines = [
        f"# Draft rules for HYBRID_SYNONYMS_FILE: the words shoppers used in the last {days} "
        "day(s) that",
        f"# understanding did not read, with the categories {model} proposes for them. Nothing",
        "# here is checked: uncomment a rule only if it is right for this shop, or write the",
        "# right one (a colour: 'word => colour: <family>').",
    ]
    for row in rows:
        word = str(row["word"])
        lines += [
            "",
            f"# {word}: {row['searches']} search(es), {row['zero_results']} found nothing, "
            f"{row['relaxed']} relaxed",
        ]
        for s in suggestions.get(word, ()):
            lines += [
                f"#   {s.share:.2f} of the vote; nearest '{s.nearest}' ({s.similarity:.2f})",
                f"# {word} => category: {s.category}",
            ]
    return "\n".join(lines) + "\n"
