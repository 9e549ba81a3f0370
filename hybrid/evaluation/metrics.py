"""Relevance metrics over one ranked list and the graded judgments of its query.

Pure functions of ``ranked`` (product ids, best first) and ``judgments`` (product id -> grade
1..3; an unjudged product is not relevant). Definitions:

* **nDCG@k**: ``DCG@k / IDCG@k`` with gain ``2**grade - 1`` and discount ``log2(rank + 1)``
  (rank 1-based). The ideal ranking is the judged products sorted by grade, cut at ``k``.
* **recall@k**: the share of judged products with ``grade >= min_grade`` found in the top
  ``k``. With ``min_grade=1`` (every judged product) a query with 200 category matches cannot
  exceed 10/200 at k=10, so strict recall (``min_grade=3``, perfect matches) is reported too.
* **MRR**: ``1 / rank`` of the first hit with ``grade >= min_grade`` (0 if none in the list);
  :data:`MRR_MIN_GRADE` is 2 because grade 1 ("same category") is met by nearly every hit.
  The evaluation passes the first page (ten hits), so its MRR is MRR@10.
* **ANN recall@k**: the overlap of an approximate top ``k`` with the exact top ``k``.
* **colour honour@k**: the share of the top ``k`` hits whose colour family is the one asked.

Every metric over judgments needs at least one judged product at the grade it counts; callers
skip (and count) queries without one rather than scoring them 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

Judgments = Mapping[str, int]

#: MRR counts the first hit of at least this grade (2: a good match, not just the category).
MRR_MIN_GRADE: Final = 2
#: Strict recall counts perfect matches only.
STRICT_GRADE: Final = 3


def gain(grade: int) -> float:
    """The graded gain ``2**grade - 1`` (0 for an unjudged product)."""
    return float(2**grade - 1)


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain of grades in rank order (rank 1 first)."""
    return math.fsum(gain(g) / math.log2(rank + 1) for rank, g in enumerate(grades, start=1))


def _relevant(judgments: Judgments, min_grade: int) -> set[str]:
    relevant = {pid for pid, grade in judgments.items() if grade >= min_grade}
    if not relevant:
        raise ValueError(f"the query has no judged product of grade >= {min_grade}")
    return relevant


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")


def ndcg_at_k(ranked: Sequence[str], judgments: Judgments, k: int) -> float:
    """Normalised DCG of the top ``k`` of ``ranked`` (0..1).

    Raises:
        ValueError: ``k < 1``, or the query has no judged product.
    """
    _check_k(k)
    _relevant(judgments, 1)
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    return dcg([judgments.get(pid, 0) for pid in ranked[:k]]) / ideal


def recall_at_k(
    ranked: Sequence[str], judgments: Judgments, k: int, *, min_grade: int = 1
) -> float:
    """Share of the judged products of ``grade >= min_grade`` that appear in the top ``k``.

    Raises:
        ValueError: ``k < 1``, or no judged product reaches ``min_grade``.
    """
    _check_k(k)
    relevant = _relevant(judgments, min_grade)
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(
    ranked: Sequence[str], judgments: Judgments, *, min_grade: int = MRR_MIN_GRADE
) -> float:
    """``1 / rank`` of the first hit of ``grade >= min_grade``; 0 when none is in ``ranked``.

    Raises:
        ValueError: no judged product reaches ``min_grade``.
    """
    _relevant(judgments, min_grade)
    for rank, pid in enumerate(ranked, start=1):
        if judgments.get(pid, 0) >= min_grade:
            return 1.0 / rank
    return 0.0


def overlap_at_k(approximate: Sequence[str], exact: Sequence[str], k: int) -> float:
    """ANN recall@k: the share of the exact top ``k`` that the approximate top ``k`` found.

    When fewer than ``k`` documents exist, the exact list is shorter and the share is of it.

    Raises:
        ValueError: ``k < 1``, or ``exact`` is empty.
    """
    _check_k(k)
    truth = set(exact[:k])
    if not truth:
        raise ValueError("the exact neighbour list is empty")
    return len(truth.intersection(approximate[:k])) / len(truth)


def colour_honour_at_k(families: Sequence[set[str]], wanted: str, k: int) -> float:
    """Share of the top ``k`` hits whose colour families include ``wanted``.

    Args:
        families: per hit in rank order, the families it is taken to have (see
            :func:`hit_families`); an empty set never honours the colour.
        wanted: the family the query asked for.
        k: how many hits count. A list shorter than ``k`` is scored over ``k``: a missing hit
            does not show the colour either.
    """
    _check_k(k)
    return sum(wanted in found for found in families[:k]) / k


def hit_families(source: Mapping[str, object] | None) -> set[str]:
    """A hit's colour family: the label's ``colour_family``, else ``image_colour_family``.

    The label wins when present because it is what the shop says the product is; the photo's
    dominant colour stands in only for products whose feed gave no (recognisable) colour.
    """
    if not source:
        return set()
    for field in ("colour_family", "image_colour_family"):
        value = source.get(field)
        if isinstance(value, str) and value:
            return {value}
        if isinstance(value, list) and value:
            return {str(v) for v in value}
    return set()


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None for no values (an empty cell, not a zero)."""
    return math.fsum(values) / len(values) if values else None
