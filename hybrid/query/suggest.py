"""Draft rules for the shop's synonyms file: what a real text model guesses an unread word means.

The words understanding did not read ("comfy", "chucks") are the worklist of the synonyms file
(``hybrid searchlog unread``). A language model cannot read them safely at search time: a
category read there is a filter, and all-MiniLM-L6-v2 is too often wrong for that at any useful
recall (``benchmarks/bench_word_guess.py``, item 1). It can *propose*: each category is ranked by
the labelled word nearest to the unread word (the shop's nouns, WordNet's and the synonyms
file's), and a person decides. Ranking by the nearest word rather than by a vote of the nearest
few keeps the many WordNet clothing words from outvoting every small category (the same
script's "Proposals" table compares both). :func:`draft` writes every proposal as a
commented-out rule; nothing here runs in a search.

Pure except for the encoder passed in (``texts -> unit vectors``, e.g.
:meth:`hybrid.embedding.SentenceTransformerEmbedder.encode_texts`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np

from hybrid.query.lexicon import category_words
from hybrid.query.synonyms import ShopSynonyms
from hybrid.vocab import CATEGORIES

#: Categories proposed per word.
TOP: Final = 3
#: A word a rule can hold: letters and digits, joined by hyphens or apostrophes (what the search
#: log's unread words are); anything else gets no rule line in a draft.
_RULE_WORD: Final = re.compile(r"[^\W_]+(?:[-'\u2019][^\W_]+)*")

#: ``texts -> one unit vector a row``.
Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Suggestion:
    """One proposed category for a word, and the labelled word that placed it there."""

    category: str
    nearest: str
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``hybrid searchlog unread --suggest --json``)."""
        return {
            "category": self.category,
            "nearest": self.nearest,
            "similarity": round(self.similarity, 3),
        }


class Nearest(NamedTuple):
    """A category's closest labelled word: its position among the entries, its similarity."""

    label: str
    position: int
    similarity: float


def labelled_words(synonyms: ShopSynonyms | None = None) -> dict[str, str]:
    """Every word whose category is known: WordNet's, the shop's nouns, the synonyms file's."""
    words = dict(category_words())
    for category in CATEGORIES:
        words.update({noun.lower(): category.path for noun in (category.leaf, *category.nouns)})
    words.update({phrase.lower(): path for phrase, path in (synonyms or ShopSynonyms()).categories})
    return words


def ranked_categories(
    similarities: np.ndarray, labels: Sequence[str], *, skip: Collection[int] = ()
) -> list[Nearest]:
    """Each label once, by its most similar entry, best first; labels only dissimilar entries
    carry (similarity <= 0) are left out, and entries in ``skip`` do not count (leave-one-out).
    """
    ranked: dict[str, Nearest] = {}
    for i in np.argsort(-similarities, kind="stable"):
        index = int(i)
        similarity = float(similarities[index])
        if similarity <= 0:
            break
        if index not in skip and labels[index] not in ranked:
            ranked[labels[index]] = Nearest(labels[index], index, similarity)
    return list(ranked.values())


@dataclass(frozen=True)
class Guess:
    """The category a text model places unread words in: what understanding reads from it."""

    words: str
    category: str
    nearest: str
    similarity: float


#: Word vectors a suggester keeps (a word is encoded once per process).
CACHED_WORDS: Final = 20_000


class CategorySuggester:
    """Proposes categories for words by their nearest labelled words under one encoder."""

    def __init__(self, encode: Encoder, words: Mapping[str, str]) -> None:
        if not words:
            raise ValueError("expected labelled words to compare with; got none")
        self._encode = encode
        self._words = list(words)
        self._labels = [words[word] for word in self._words]
        self._labelled = frozenset(self._labels)
        self._vectors = encode(self._words)
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # one suggester serves the API's threads

    def _similarities(self, words: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [word for word in dict.fromkeys(words) if word not in self._cache]
            if missing:
                if len(self._cache) + len(missing) > CACHED_WORDS:
                    self._cache.clear()
                rows = self._encode(missing) @ self._vectors.T
                self._cache.update(zip(missing, rows, strict=True))
            return np.stack([self._cache[word] for word in words])

    def suggest(self, words: Sequence[str], *, top: int = TOP) -> dict[str, list[Suggestion]]:
        """The ``top`` proposed categories of each word (none for an empty list)."""
        if not words:
            return {}
        similarities = self._similarities(words)
        return {
            word: [
                Suggestion(near.label, self._words[near.position], near.similarity)
                for near in ranked_categories(row, self._labels)[:top]
            ]
            for word, row in zip(words, similarities, strict=True)
        }

    def guess(self, words: Sequence[str], *, min_similarity: float) -> Guess | None:
        """The category whose labelled word is nearest to any of ``words`` (or to all of them
        together), when at least ``min_similarity`` near; None otherwise."""
        candidates = [*words, " ".join(words)] if len(words) > 1 else list(words)
        best: Guess | None = None
        for text, proposals in self.suggest(candidates, top=1).items():
            for p in proposals:
                if p.similarity >= min_similarity and (
                    best is None or p.similarity > best.similarity
                ):
                    best = Guess(text, p.category, p.nearest, p.similarity)
        return best

    def refine(self, text: str, leaves: Collection[str], *, min_margin: float) -> Guess | None:
        """The one of ``leaves`` (the categories under a top level already read) whose labelled
        word is nearest to ``text``, when it is at least ``min_margin`` nearer than the next
        leaf's; None otherwise (a top level is kept rather than a leaf guessed), and None when
        a leaf has no labelled word (its distance is unknown, so no margin can be measured)."""
        if not leaves or not self._labelled.issuperset(leaves):
            return None
        row = self._similarities([text])[0]
        inside = np.array([label in leaves for label in self._labels])
        ranked = ranked_categories(np.where(inside, row, 0.0), self._labels)
        if not ranked:
            return None
        runner_up = ranked[1].similarity if len(ranked) > 1 else 0.0
        first = ranked[0]
        if first.similarity - runner_up < min_margin:
            return None
        return Guess(text, first.label, self._words[first.position], first.similarity)


def draft(
    rows: Sequence[Mapping[str, Any]],
    suggestions: Mapping[str, Sequence[Suggestion]],
    *,
    model: str,
    days: int,
) -> str:
    """A synonyms file in which every proposed rule is commented out, for a person to check.

    ``rows`` are :func:`hybrid.es.unread_words` rows, most searched first. Uncommenting a rule
    line gives a rule :func:`hybrid.query.synonyms.parse_synonyms` reads as that word and that
    category; a word a rule cannot hold (a comma, ``=>``, a line break...) gets no rule line.
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
        counts = (
            f"{row['searches']} search(es), {row['zero_results']} found nothing, "
            f"{row['relaxed']} relaxed"
        )
        if not _RULE_WORD.fullmatch(word):
            lines += ["", f"# {word!r} ({counts}): no rule proposed, a rule cannot hold it"]
            continue
        lines += ["", f"# {word}: {counts}"]
        for s in suggestions.get(word, ()):
            lines += [
                f"#   nearest labelled word '{s.nearest}' ({s.similarity:.2f})",
                f"# {word} => category: {s.category}",
            ]
    return "\n".join(lines) + "\n"
