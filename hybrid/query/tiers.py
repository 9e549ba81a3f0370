"""After a relaxation, what still meets the dropped requirements stays ahead: :func:`lifted`,
tier by tier through :func:`lift`, with :func:`meeting` as the test."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hybrid.query.filters import meets
from hybrid.query.fusion import FusedHit, sort_key
from hybrid.query.request import Filters


def lift(hits: Sequence[FusedHit], meets: Callable[[FusedHit], bool]) -> list[FusedHit]:
    """Hits that ``meets`` first, in fused order within each tier, then the rest.

    The lifted hits get a bonus of the fused scores' range (plus a little), so ``_score`` stays
    descending and the explanation shows the lift as bonus. Used after a relaxation: the
    products that still meet the dropped requirement stay ahead of those that do not.
    """
    if not hits:
        return []
    scores = [hit.score for hit in hits]
    gap = max(scores) - min(scores) + 1e-3 * (abs(max(scores)) + 1.0)
    lifted = [
        FusedHit(hit.id, hit.score + gap, hit.contributions, hit.source, hit.bonus + gap)
        if meets(hit)
        else hit
        for hit in hits
    ]
    return sorted(lifted, key=sort_key)


def meeting(strict: Filters, dropped: Sequence[str]) -> Callable[[FusedHit], bool]:
    """Whether a hit still meets the requirements a relaxation dropped (``filters.meets``)."""

    def check(hit: FusedHit) -> bool:
        return meets(hit.source, strict, dropped)

    return check


def lifted(hits: Sequence[FusedHit], strict: Filters, dropped: Sequence[str]) -> list[FusedHit]:
    """A relaxed round's hits in tiers: those meeting every ``dropped`` requirement first, then
    those meeting all but the first dropped, and so on, then the rest.

    ``dropped`` follows the relaxation order (colour, category, price, brand: the least
    deliberate first), so "red dress" relaxed to any clothing shows red dresses, then dresses
    of other colours, then other clothing, not a red skirt before a blue dress."""
    for first in range(len(dropped) - 1, -1, -1):
        hits = lift(hits, meeting(strict, dropped[first:]))
    return list(hits)
