"""Relaxed pages keep what still meets the dropped requirement first."""

from __future__ import annotations

from hybrid.query.fusion import FusedHit
from hybrid.query.tiers import lift


def test_lift_puts_the_hits_that_meet_first_and_keeps_scores_descending() -> None:
    hits = [FusedHit("a", 3.0, {}), FusedHit("b", 2.0, {}), FusedHit("c", -1.0, {})]
    lifted = lift(hits, lambda hit: hit.id == "c")
    assert [hit.id for hit in lifted] == ["c", "a", "b"]
    assert [hit.score for hit in lifted] == sorted((hit.score for hit in lifted), reverse=True)
    assert lifted[0].bonus > 0 and lifted[1].bonus == 0
    assert lift([], lambda hit: True) == []
