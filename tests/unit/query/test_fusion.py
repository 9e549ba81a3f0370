"""Fusion on hand-computed examples: RRF, linear (min-max, L2, z-score), cut-offs, registry."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import pytest

from hybrid.errors import InvalidRequestError
from hybrid.query.fusion import (
    FUSIONS,
    Contribution,
    FusedHit,
    LegHit,
    Legs,
    add_bonus,
    apply_cutoffs,
    collapse_fused,
    cosine_to_score,
    fuse,
    l2,
    leg_hits,
    linear,
    minmax,
    register_fusion,
    rrf,
    zscore,
)
from hybrid.query.request import FusionSpec


def leg(*hits: tuple[str, float]) -> list[LegHit]:
    """Hits ranked in the given order."""
    return [LegHit(doc, score, rank) for rank, (doc, score) in enumerate(hits, start=1)]


LEGS: Legs = {
    "bm25": leg(("a", 12.0), ("b", 6.0), ("c", 3.0)),
    "image_knn": leg(("b", 0.9), ("d", 0.7)),
}


def ids(hits: Sequence[FusedHit]) -> list[str]:
    return [hit.id for hit in hits]


def scores(hits: Sequence[FusedHit]) -> dict[str, float]:
    return {hit.id: hit.score for hit in hits}


def test_rrf_hand_computed_with_a_document_missing_from_a_leg() -> None:
    fused = rrf(LEGS, k=60)
    assert ids(fused) == ["b", "a", "d", "c"]
    assert scores(fused) == pytest.approx(
        {"b": 1 / 62 + 1 / 61, "a": 1 / 61, "d": 1 / 62, "c": 1 / 63}
    )
    a = fused[1]
    assert a.contributions == {"bm25": Contribution(1, 12.0, 1 / 61, 1 / 61)}
    assert fused[0].best_rank == 1


def test_weighted_rrf() -> None:
    fused = rrf(LEGS, k=60, weights={"bm25": 3.0})
    # b = 3/62 + 1/61 = 0.0648, a = 3/61 = 0.0492, c = 3/63 = 0.0476, d = 1/62 = 0.0161
    assert ids(fused) == ["b", "a", "c", "d"]
    assert scores(fused)["b"] == pytest.approx(3 / 62 + 1 / 61)
    assert fused[0].contributions["bm25"].weighted == pytest.approx(3 / 62)


def test_rrf_ties_break_on_best_rank_then_id() -> None:
    # k=1: "late" is rank 3 in a leg of weight 2 -> 2/4 = 0.5; "early" rank 1 -> 1/2 = 0.5.
    legs: Legs = {"x": leg(("early", 1.0)), "y": leg(("p", 9.0), ("q", 8.0), ("late", 7.0))}
    fused = rrf(legs, k=1, weights={"y": 2.0})
    assert ids(fused)[:2] == ["p", "q"]
    assert scores(fused)["late"] == scores(fused)["early"] == 0.5
    assert ids(fused)[2:] == ["early", "late"]
    # equal score and equal best rank: id decides
    same = rrf({"x": leg(("zeta", 1.0)), "y": leg(("alpha", 1.0))})
    assert ids(same) == ["alpha", "zeta"]


def test_rrf_window_zero_weight_and_duplicates() -> None:
    legs: Legs = {"bm25": leg(("a", 3.0), ("b", 2.0), ("c", 1.0)), "off": leg(("z", 1.0))}
    assert ids(rrf(legs, window=2, weights={"off": 0.0})) == ["a", "b"]
    duplicated: Legs = {"bm25": [LegHit("a", 1.0, 4), LegHit("a", 2.0, 2)]}
    assert rrf(duplicated)[0].contributions["bm25"].rank == 2


def test_linear_minmax_hand_computed() -> None:
    fused = linear(LEGS, normalisation="minmax")
    # bm25: a 1, b (6-3)/9 = 1/3, c 0; image_knn: b 1, d 0
    assert scores(fused) == pytest.approx({"a": 1.0, "b": 4 / 3, "c": 0.0, "d": 0.0})
    # c and d tie at 0: d's best rank (2) beats c's (3)
    assert ids(fused) == ["b", "a", "d", "c"]
    assert fused[0].contributions["image_knn"] == Contribution(1, 0.9, 1.0, 1.0)


def test_linear_weights() -> None:
    fused = linear(LEGS, weights={"bm25": 0.5, "image_knn": 2.0})
    assert scores(fused) == pytest.approx({"b": 0.5 / 3 + 2.0, "d": 0.0, "a": 0.5, "c": 0.0})


def test_minmax_floor_keeps_weak_candidates_from_spreading() -> None:
    assert minmax([0.62, 0.60]) == [1.0, 0.0]
    assert minmax([0.62, 0.60], floor=0.5) == pytest.approx([1.0, 0.1 / 0.12])
    assert minmax([0.62, 0.45], floor=0.5) == pytest.approx([1.0, 0.0])  # clipped at the floor
    assert minmax([0.62, 0.60], floor=0.7) == [0.0, 0.0]  # the whole leg is below its floor
    assert minmax([3.0, 3.0]) == [1.0, 1.0]
    assert minmax([]) == []


def test_linear_floors_change_the_fused_order() -> None:
    legs: Legs = {"bm25": leg(("a", 10.0), ("b", 9.0)), "image_knn": leg(("b", 0.61), ("a", 0.6))}
    assert scores(linear(legs)) == pytest.approx({"a": 1.0, "b": 1.0 + 0.0})
    floored = linear(legs, floors={"image_knn": 0.5})
    # image_knn: b (0.11/0.11) = 1, a 0.1/0.11; bm25: a 1, b 0
    assert scores(floored) == pytest.approx({"a": 1 + 0.1 / 0.11, "b": 1.0})
    assert ids(floored) == ["a", "b"]


def test_l2_and_zscore() -> None:
    assert l2([3.0, 4.0]) == pytest.approx([0.6, 0.8])
    assert l2([0.0, 0.0]) == [0.0, 0.0]
    std = math.sqrt(2 / 3)
    assert zscore([3.0, 2.0, 1.0]) == pytest.approx([2 / std, 1 / std, 0.0])
    assert zscore([5.0]) == [1.0]


def test_linear_zscore_treats_missing_as_the_weakest() -> None:
    legs: Legs = {"bm25": leg(("a", 3.0), ("b", 2.0), ("c", 1.0)), "image_knn": leg(("d", 0.9))}
    fused = linear(legs, normalisation="zscore")
    std = math.sqrt(2 / 3)
    assert scores(fused) == pytest.approx({"a": 2 / std, "b": 1 / std, "c": 0.0, "d": 1.0})
    assert linear(legs, normalisation="l2")[0].id == "d"  # 0.9/0.9 beats 3/sqrt(14)


def test_cutoffs_drop_weak_hits_and_keep_ranks() -> None:
    legs: Legs = {
        "bm25": leg(("a", 12.0), ("b", 2.5), ("c", 1.0)),
        "image_knn": leg(("b", 0.7), ("d", 0.55)),
        "text_knn": leg(("e", 0.61)),
    }
    kept = apply_cutoffs(legs, min_bm25_score=2.5, min_knn_similarity=0.2)
    assert cosine_to_score(0.2) == pytest.approx(0.6)
    assert kept == {
        "bm25": [LegHit("a", 12.0, 1), LegHit("b", 2.5, 2)],
        "image_knn": [LegHit("b", 0.7, 1)],
        "text_knn": [LegHit("e", 0.61, 1)],
    }
    assert apply_cutoffs(legs) == legs


def test_fuse_applies_cutoffs_then_the_spec_method() -> None:
    spec = FusionSpec(method="rrf", rrf_k=10, min_bm25_score=7.0)
    fused = fuse(LEGS, spec)
    assert scores(fused) == pytest.approx({"a": 1 / 11, "b": 1 / 11, "d": 1 / 12})
    assert ids(fused) == ["a", "b", "d"]  # a and b tie on score and best rank: id decides
    linear_spec = FusionSpec(method="linear", weights={"image_knn": 0.0})
    assert ids(fuse(LEGS, linear_spec)) == ["a", "b", "c"]


def test_fuse_uses_every_retrieved_hit_even_beyond_the_spec_window() -> None:
    # A deep page retrieves more than spec.window hits per leg; all of them are fused.
    long_leg = leg(*((f"d{i:03}", 100.0 - i) for i in range(150)))
    assert len(fuse({"bm25": long_leg}, FusionSpec(window=100))) == 150
    assert len(rrf({"bm25": long_leg}, window=100)) == 100


def test_single_passes_elasticsearch_scores_through() -> None:
    fused = fuse({"single": leg(("a", 7.5), ("b", 2.0))}, FusionSpec(method="single"))
    assert scores(fused) == {"a": 7.5, "b": 2.0}
    with pytest.raises(ValueError, match="one list"):
        fuse(LEGS, FusionSpec(method="single"))


@pytest.fixture
def restore_registry() -> Iterator[None]:
    saved = dict(FUSIONS)
    yield
    FUSIONS.clear()
    FUSIONS.update(saved)


@pytest.mark.usefixtures("restore_registry")
def test_custom_fusion_plugs_in() -> None:
    def bm25_only(legs: Legs, spec: FusionSpec) -> list[FusedHit]:
        return rrf({"bm25": legs["bm25"]}, k=spec.rrf_k)

    register_fusion("bm25_only", bm25_only)
    assert ids(fuse(LEGS, FusionSpec(), method="bm25_only")) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="already registered"):
        register_fusion("rrf", bm25_only)
    with pytest.raises(ValueError, match="unknown fusion 'nope'"):
        fuse(LEGS, FusionSpec(), method="nope")


def test_a_fused_score_that_overflows_is_refused_not_returned() -> None:
    # Past the request's weight bound (a caller of the pure function): the sum overflows.
    with pytest.raises(InvalidRequestError, match="fused score of 'b' is not a finite number"):
        linear(LEGS, weights={"bm25": 1.7e308, "image_knn": 1.7e308})
    finite = scores(linear(LEGS, weights={"bm25": 1000, "image_knn": 1000}))
    assert all(math.isfinite(score) for score in finite.values())


def test_add_bonus_scales_with_the_top_score() -> None:
    fused = rrf(LEGS)  # b 0.0328, a 0.0164, d 0.0161, c 0.0159
    boosted = add_bonus(fused, lambda hit: 1.0 if hit.id == "c" else 0.0, fraction=0.2)
    assert ids(boosted) == ["b", "c", "a", "d"]
    c = boosted[1]
    assert c.bonus == pytest.approx(0.2 * (1 / 62 + 1 / 61))
    assert c.score == pytest.approx(1 / 63 + c.bonus)
    assert add_bonus(fused, lambda hit: 1.0, fraction=0.0) == fused


def test_collapse_fused_keeps_the_best_variant() -> None:
    legs: Legs = {
        "bm25": [
            LegHit("a1", 3.0, 1, {"group_id": "A"}),
            LegHit("b1", 2.0, 2, {"group_id": "B"}),
            LegHit("a2", 1.5, 3, {"group_id": "A"}),
            LegHit("x", 1.0, 4, None),
        ]
    }
    assert ids(collapse_fused(rrf(legs))) == ["a1", "b1", "x"]


def test_leg_hits_from_a_response() -> None:
    response = {
        "hits": {
            "hits": [
                {"_id": "a", "_score": 2.0, "_source": {"title": "A"}},
                {"_id": "b", "_score": None},
            ]
        }
    }
    assert leg_hits(response) == [LegHit("a", 2.0, 1, {"title": "A"}), LegHit("b", 0.0, 2)]
    assert leg_hits({}) == []
