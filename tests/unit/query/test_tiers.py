"""Relaxed pages keep what still meets the dropped requirement first."""

from __future__ import annotations

import pytest

from hybrid.query.fusion import FusedHit
from hybrid.query.request import Filters
from hybrid.query.tiers import lifted


def test_the_hits_that_meet_come_first_and_scores_stay_descending() -> None:
    def hit(doc: str, score: float, colour: str | None) -> FusedHit:
        return FusedHit(doc, score, {}, None if colour is None else {"colour_family": colour})

    hits = [hit("a", 3.0, "blue"), hit("b", 2.0, None), hit("c", -1.0, "red")]
    ranked = lifted(hits, Filters(colour_family=["red"]), ("colour_family",))
    assert [h.id for h in ranked] == ["c", "a", "b"]  # no source: the last tier
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert ranked[0].bonus > 0 and ranked[1].bonus == 0
    assert lifted([], Filters(), ("colour_family",)) == []


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
    # One gap per tier: the top tier's bonus does not double with every requirement.
    gap = ranked[1].bonus
    assert gap > 0 and ranked[0].bonus == pytest.approx(2 * gap)
