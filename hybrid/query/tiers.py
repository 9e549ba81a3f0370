"""After a relaxation, what still meets the dropped requirements stays ahead, tier by tier:
:func:`lifted`, with ``filters.meets`` as the test."""

from __future__ import annotations

from collections.abc import Sequence

from hybrid.query.filters import meets
from hybrid.query.fusion import FusedHit, sort_key
from hybrid.query.request import Filters


def lifted(hits: Sequence[FusedHit], strict: Filters, dropped: Sequence[str]) -> list[FusedHit]:
    """A relaxed round's hits in tiers: those meeting every ``dropped`` requirement first, then
    those meeting all but the first dropped, and so on, then the rest; fused order within a
    tier.

    ``dropped`` follows the relaxation order (colour, category, price, brand: the least
    deliberate first), so "red dress" relaxed to any clothing shows red dresses, then dresses
    of other colours, then other clothing, not a red skirt before a blue dress. A hit's bonus
    is its tier times one gap (the fused scores' range, plus a little), so ``_score`` stays
    descending and the bonus does not grow with the number of tiers."""
    if not hits or not dropped:
        return list(hits)
    scores = [hit.score for hit in hits]
    gap = max(scores) - min(scores) + 1e-3 * (max(abs(s) for s in scores) + 1.0)
    tiers = [
        next(
            (
                len(dropped) - k
                for k in range(len(dropped))
                if meets(hit.source, strict, dropped[k:])
            ),
            0,
        )
        for hit in hits
    ]
    raised = [
        FusedHit(
            hit.id, hit.score + tier * gap, hit.contributions, hit.source, hit.bonus + tier * gap
        )
        if tier
        else hit
        for hit, tier in zip(hits, tiers, strict=True)
    ]
    return sorted(raised, key=sort_key)


def _tier(hit: FusedHit, strict: Filters, dropped: Sequence[str]) -> int:
    """How many of the last ``dropped`` requirements ``hit`` meets, all of them together: 2 of
    ("colour_family", "category") for a red dress, 1 for a blue dress, 0 for a red skirt."""
    for first in range(len(dropped)):
        if meets(hit.source, strict, dropped[first:]):
            return len(dropped) - first
    return 0
