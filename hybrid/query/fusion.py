"""Fuse the ranked lists of the legs (BM25, image kNN, text kNN) into one list, in our code.

The local test server has no ``rrf``/``linear`` retrievers, and in-code fusion works the same on
every distribution and licence, explains itself (each :class:`FusedHit` keeps every leg's
:class:`Contribution`), and is unit-testable.

* :func:`rrf` - weighted reciprocal rank fusion: ``sum(w / (k + rank))``; ignores score scales.
* :func:`linear` - weighted sum of per-leg normalised scores (min-max, L2 or z-score).
* :func:`apply_cutoffs` - drop weak hits before fusion (BM25 score, kNN cosine similarity).

A document missing from a leg contributes 0 from that leg. Ties are broken deterministically:
score (descending), then best rank in any leg, then id. Sums use :func:`math.fsum`, which is
exact, so equal contributions summed in another order still tie exactly.

Fusion is a pluggable stage: anything matching the :class:`Fusion` protocol can be added with
:func:`register_fusion` and run by :func:`fuse`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from hybrid.errors import InvalidRequestError
from hybrid.query.legs import KNN_LEGS
from hybrid.query.request import FusionSpec, Normalisation
from hybrid.schema import GROUP_ID


@dataclass(frozen=True, slots=True)
class LegHit:
    """One hit of one leg: ``rank`` is 1-based within the leg."""

    id: str
    score: float
    rank: int
    source: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one leg gave a fused hit: its rank and score there, normalised, then weighted."""

    rank: int
    raw_score: float
    normalised: float
    weighted: float


@dataclass(frozen=True, slots=True)
class FusedHit:
    """A fused hit; ``score`` is the sum of the contributions' ``weighted`` plus ``bonus``."""

    id: str
    score: float
    contributions: Mapping[str, Contribution]
    source: Mapping[str, Any] | None = None
    bonus: float = 0.0

    @property
    def best_rank(self) -> int:
        """The best (lowest) rank this document reached in any leg."""
        return min((c.rank for c in self.contributions.values()), default=0)


Legs = Mapping[str, Sequence[LegHit]]


def leg_hits(response: Mapping[str, Any]) -> list[LegHit]:
    """The hits of one Elasticsearch ``_search`` response, ranked 1, 2, 3..."""
    hits = response.get("hits", {}).get("hits", [])
    return [
        LegHit(
            id=str(hit["_id"]),
            score=float(hit.get("_score") or 0.0),
            rank=i,
            source=hit.get("_source"),
        )
        for i, hit in enumerate(hits, start=1)
    ]


def _weight(weights: Mapping[str, float] | None, leg: str) -> float:
    return 1.0 if weights is None else weights.get(leg, 1.0)


def _top(hits: Sequence[LegHit], window: int | None) -> list[LegHit]:
    """Best rank first, one hit per id, at most ``window`` hits."""
    seen: dict[str, LegHit] = {}
    for hit in sorted(hits, key=lambda h: h.rank):
        seen.setdefault(hit.id, hit)
    ordered = list(seen.values())
    return ordered if window is None else ordered[:window]


def sort_key(hit: FusedHit) -> tuple[float, int, str]:
    """Best score first; ties by best leg rank, then id."""
    return (-hit.score, hit.best_rank, hit.id)


def _ranked(
    contributions: Mapping[str, Mapping[str, Contribution]],
    sources: Mapping[str, Mapping[str, Any] | None],
) -> list[FusedHit]:
    fused = [
        FusedHit(
            id=doc_id,
            score=_finite_sum(doc_id, [c.weighted for c in by_leg.values()]),
            contributions=dict(by_leg),
            source=sources.get(doc_id),
        )
        for doc_id, by_leg in contributions.items()
    ]
    return sorted(fused, key=sort_key)


def _finite_sum(doc_id: str, parts: Sequence[float]) -> float:
    """The fused score; a non-finite one is refused here, never handed on to be encoded."""
    try:
        total = math.fsum(parts)
    except OverflowError:  # fsum raises where a plain sum would give inf
        total = math.inf
    if not math.isfinite(total):
        raise InvalidRequestError(
            f"the fused score of {doc_id!r} is not a finite number ({total}); expected "
            "leg weights and scores that sum to one (lower the weights)"
        )
    return total


def _collect(
    legs: Legs,
    weights: Mapping[str, float] | None,
    window: int | None,
    normalise: Callable[[str, list[LegHit]], list[float]],
) -> list[FusedHit]:
    """Shared loop: per leg, normalise its hits and add ``weight * normalised`` per document.

    A leg of weight 0 is skipped entirely, so documents only it found do not trail the list.
    """
    contributions: dict[str, dict[str, Contribution]] = {}
    sources: dict[str, Mapping[str, Any] | None] = {}
    for leg, leg_list in legs.items():
        weight = _weight(weights, leg)
        if weight <= 0:
            continue
        hits = _top(leg_list, window)
        for hit, value in zip(hits, normalise(leg, hits), strict=True):
            contributions.setdefault(hit.id, {})[leg] = Contribution(
                rank=hit.rank, raw_score=hit.score, normalised=value, weighted=weight * value
            )
            if sources.get(hit.id) is None:
                sources[hit.id] = hit.source
    return _ranked(contributions, sources)


def rrf(
    legs: Legs,
    *,
    k: int = 60,
    weights: Mapping[str, float] | None = None,
    window: int | None = 100,
) -> list[FusedHit]:
    """Weighted reciprocal rank fusion: ``score(d) = sum over legs of w / (k + rank(d))``.

    Args:
        legs: leg name -> its hits.
        k: rank constant; larger flattens the advantage of the very first ranks.
        weights: leg -> weight (missing = 1.0; 0 = ignore the leg).
        window: only each leg's first ``window`` hits count (None = all).

    Returns:
        Fused hits, best first; ``normalised`` is ``1 / (k + rank)``.
    """
    if k < 1:
        raise ValueError(f"rrf k must be >= 1; got {k}")
    return _collect(legs, weights, window, lambda _, hits: [1.0 / (k + h.rank) for h in hits])


def minmax(scores: Sequence[float], *, floor: float | None = None) -> list[float]:
    """Min-max to [0, 1], with an optional fixed bottom of the scale.

    Without a floor, a leg's weakest candidate maps to 0 and its best to 1, however close they
    are: a leg whose candidates are all weak and nearly equal (say cosine ``_score`` 0.60-0.62)
    is stretched over the full [0, 1] and its tiny differences weigh as much as another leg's
    real ones. A floor - the score that means "irrelevant" for that leg - anchors the bottom
    instead: ``(s - floor) / (max - floor)``, so 0.60-0.62 with floor 0.5 become 0.83-1.0.
    Scores below the floor clip to 0, and a leg whose best score is at or below its floor
    contributes 0 everywhere. (When the floor is below every score this is exactly
    ``lo = min(min score, floor)``.) Equal scores without a floor all map to 1.
    """
    if not scores:
        return []
    high = max(scores)
    low = min(scores) if floor is None else floor
    if high <= low:
        return [1.0 if floor is None else 0.0 for _ in scores]
    return [max(0.0, (s - low) / (high - low)) for s in scores]


def l2(scores: Sequence[float]) -> list[float]:
    """Divide by the leg's Euclidean norm: ``s / sqrt(sum(s**2))`` (all 0 if the norm is 0)."""
    norm = math.sqrt(math.fsum(s * s for s in scores))
    return [s / norm if norm > 0 else 0.0 for s in scores]


def zscore(scores: Sequence[float]) -> list[float]:
    """Standard scores shifted so the leg's weakest candidate is 0: ``(s - min) / std``.

    A plain z-score puts an average candidate at 0, the value a *missing* document gets, so a
    below-average candidate would rank below a document the leg never returned. Shifting by the
    minimum makes "absent" equal to "as weak as the weakest retrieved", and keeps the scale in
    standard deviations. With no spread (one hit, or equal scores) every hit gets 1.
    """
    if not scores:
        return []
    mean = math.fsum(scores) / len(scores)
    std = math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / len(scores))
    low = min(scores)
    return [(s - low) / std if std > 0 else 1.0 for s in scores]


def linear(
    legs: Legs,
    *,
    weights: Mapping[str, float] | None = None,
    normalisation: Normalisation = "minmax",
    floors: Mapping[str, float] | None = None,
    window: int | None = None,
) -> list[FusedHit]:
    """Weighted sum of per-leg normalised scores.

    Args:
        legs: leg name -> its hits.
        weights: leg -> weight (missing = 1.0; 0 = ignore the leg).
        normalisation: ``minmax`` (see :func:`minmax`), ``l2`` or ``zscore``.
        floors: leg -> floor, used by ``minmax`` only.
        window: only each leg's first ``window`` hits count (None = all).

    Returns:
        Fused hits, best first.
    """
    floors = floors or {}

    def normalise(leg: str, hits: list[LegHit]) -> list[float]:
        scores = [h.score for h in hits]
        if normalisation == "minmax":
            return minmax(scores, floor=floors.get(leg))
        return l2(scores) if normalisation == "l2" else zscore(scores)

    return _collect(legs, weights, window, normalise)


def cosine_to_score(similarity: float) -> float:
    """The kNN ``_score`` of a cosine similarity: Elasticsearch reports ``(1 + cos) / 2``."""
    return (1.0 + similarity) / 2.0


def apply_cutoffs(
    legs: Legs,
    *,
    min_bm25_score: float | None = None,
    min_knn_similarity: float | None = None,
    knn_legs: Collection[str] = KNN_LEGS,
) -> dict[str, list[LegHit]]:
    """Drop weak hits before fusion; the remaining hits keep their ranks.

    Args:
        legs: leg name -> its hits.
        min_bm25_score: minimum ``_score`` of the ``bm25`` leg (None = keep all).
        min_knn_similarity: minimum cosine similarity (-1..1) of the kNN legs. Their ``_score``
            is ``(1 + cos) / 2``, so the threshold compared is ``cosine_to_score(min)``: 0.2
            means ``_score >= 0.6``. (The kNN ``similarity`` option takes the raw cosine.)
        knn_legs: which legs are kNN legs.

    Returns:
        A new mapping with the same legs.
    """
    thresholds: dict[str, float] = {}
    if min_bm25_score is not None:
        thresholds["bm25"] = min_bm25_score
    if min_knn_similarity is not None:
        thresholds.update(dict.fromkeys(knn_legs, cosine_to_score(min_knn_similarity)))
    return {
        leg: [h for h in hits if leg not in thresholds or h.score >= thresholds[leg]]
        for leg, hits in legs.items()
    }


class Fusion(Protocol):
    """A fusion stage: the legs' hits and the request's spec in, fused hits (best first) out."""

    def __call__(self, legs: Legs, spec: FusionSpec) -> list[FusedHit]:
        """Fuse ``legs`` as ``spec`` says; return the fused hits, best first."""


# The stages fuse every hit they are given: each leg was already retrieved with k = the
# request's effective window, which may exceed spec.window to fill a deep page.


def _rrf_stage(legs: Legs, spec: FusionSpec) -> list[FusedHit]:
    return rrf(legs, k=spec.rrf_k, weights=spec.leg_weights(), window=None)


def _linear_stage(legs: Legs, spec: FusionSpec) -> list[FusedHit]:
    return linear(
        legs,
        weights=spec.leg_weights(),
        normalisation=spec.normalisation,
        floors=spec.leg_floors(),
    )


def _single_stage(legs: Legs, spec: FusionSpec) -> list[FusedHit]:
    """Elasticsearch already summed the legs in one request: pass its one list through."""
    if len(legs) > 1:
        raise ValueError(f"'single' fusion takes one list; got legs {sorted(legs)}")
    return _collect(legs, None, None, lambda _, hits: [h.score for h in hits])


#: Fusion stages by name; :func:`register_fusion` adds more.
FUSIONS: Final[dict[str, Fusion]] = {
    "rrf": _rrf_stage,
    "linear": _linear_stage,
    "single": _single_stage,
}


def register_fusion(name: str, fusion: Fusion, *, replace: bool = False) -> None:
    """Make ``fusion`` available to :func:`fuse` under ``name``."""
    if name in FUSIONS and not replace:
        raise ValueError(f"fusion {name!r} is already registered; pass replace=True")
    FUSIONS[name] = fusion


def fuse(legs: Legs, spec: FusionSpec, *, method: str | None = None) -> list[FusedHit]:
    """Apply the spec's cut-offs, then the fusion stage ``method`` (default ``spec.method``)."""
    name = method or spec.method
    if name not in FUSIONS:
        raise ValueError(f"unknown fusion {name!r}; registered: {', '.join(sorted(FUSIONS))}")
    kept = apply_cutoffs(
        legs, min_bm25_score=spec.min_bm25_score, min_knn_similarity=spec.min_knn_similarity
    )
    return FUSIONS[name](kept, spec)


def add_bonus(
    hits: Sequence[FusedHit], strength: Callable[[FusedHit], float], *, fraction: float = 0.2
) -> list[FusedHit]:
    """The understanding bonus: add ``fraction * top score * strength(hit)``, then re-sort.

    Scaling by the top fused score makes the bonus independent of the fusion method (RRF
    scores are ~0.05, linear ones ~1-3). ``strength`` returns 0..1, e.g.
    :func:`hybrid.query.understanding.understanding_fit`.
    """
    top = max((h.score for h in hits), default=0.0)
    if top <= 0 or fraction == 0:
        return list(hits)
    boosted = []
    for hit in hits:
        bonus = fraction * top * strength(hit)
        # Built directly, and only when it changes: dataclasses.replace costs ~5 us a hit.
        boosted.append(
            FusedHit(hit.id, hit.score + bonus, hit.contributions, hit.source, hit.bonus + bonus)
            if bonus
            else hit
        )
    return sorted(boosted, key=sort_key)


def collapse_fused(hits: Sequence[FusedHit], *, field: str = GROUP_ID) -> list[FusedHit]:
    """Keep the best hit of each variant group (``group_id`` in the source); order is kept.

    Legs collapsed in Elasticsearch can still return different variants of one group, so the
    fused list is collapsed again. A hit without the field is its own group.
    """
    seen: set[str] = set()
    kept = []
    for hit in hits:
        group = (hit.source or {}).get(field)
        key = f"{field}:{group}" if group is not None else f"id:{hit.id}"
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept
