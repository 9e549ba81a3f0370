"""Relaxed pages keep what still meets the dropped requirement first."""

from __future__ import annotations

from hybrid.query.fusion import FusedHit
from hybrid.query.request import Filters
from hybrid.query.tiers import lift, lifted


def test_lift_puts_the_hits_that_meet_first_and_keeps_scores_descending() -> None:
    hits = [FusedHit("a", 3.0, {}), FusedHit("b", 2.0, {}), FusedHit("c", -1.0, {})]
    lifted = lift(hits, lambda hit: hit.id == "c")
    assert [hit.id for hit in lifted] == ["c", "a", "b"]
    assert [hit.score for hit in lifted] == sorted((hit.score for hit in lifted), reverse=True)
    assert lifted[0].bonus > 0 and lifted[1].bonus == 0
    assert lift([], lambda hit: True) == []


def test_a_relaxed_page_keeps_the_later_relaxed_requirement_ahead_of_the_earlier() -> None:
    def hit(doc: str, score: float, colour: str, category: str) -> FusedHit:
        source = {"colour_family": colour, "category_path": ["Clothing", category]}
        return FusedHit(doc, score, {}, source)

    strict = Filters(colour_family=["red"], category=["Clothing > Dresses"])
    hits = [
        hit("red-skirt", 4.0, "red", "Clothing > Skirts"),
        hit("blue-top", 3.0, "blue", "Clothing > Tops"),
        hit("blue-dress", 2.0, "blue", "Clothing > Dresses"),
        hit("red-dress", 1.0, "red", "Clothing > Dresses"),
    ]
    ranked = lifted(hits, strict, ("colour_family", "category"))
    # Colour was relaxed first, so a dress of another colour comes before a red skirt.
    assert [h.id for h in ranked] == ["red-dress", "blue-dress", "red-skirt", "blue-top"]
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert [h.id for h in lifted(hits, strict, ())] == [h.id for h in hits]
