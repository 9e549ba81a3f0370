"""Evaluation metrics on hand-computed examples: nDCG, recall, MRR, ANN overlap, colour honour."""

from __future__ import annotations

import math

import pytest

from hybrid.evaluation.metrics import (
    colour_honour_at_k,
    dcg,
    gain,
    hit_families,
    mean,
    ndcg_at_k,
    overlap_at_k,
    recall_at_k,
    reciprocal_rank,
)

JUDGED = {"a": 3, "b": 2, "c": 1}


def test_gain_and_dcg_by_hand() -> None:
    assert [gain(g) for g in (0, 1, 2, 3)] == [0, 1, 3, 7]
    # 7/log2(2) + 0/log2(3) + 3/log2(4) = 7 + 0 + 1.5
    assert dcg([3, 0, 2]) == pytest.approx(8.5)


def test_ndcg_hand_computed() -> None:
    # DCG: b (3) at rank 1 + nothing at 2 + a (7) at rank 3 = 3/1 + 7/2
    # ideal: 7/1 + 3/log2(3) + 1/2
    expected = (3 + 7 / 2) / (7 + 3 / math.log2(3) + 0.5)
    assert ndcg_at_k(["b", "x", "a"], JUDGED, 3) == pytest.approx(expected)
    assert ndcg_at_k(["b", "x", "a"], JUDGED, 3) == pytest.approx(0.6920, abs=1e-4)


def test_ndcg_is_one_for_the_ideal_order_and_zero_for_nothing_relevant() -> None:
    assert ndcg_at_k(["a", "b", "c", "x"], JUDGED, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], JUDGED, 10) == 0.0
    assert ndcg_at_k([], JUDGED, 10) == 0.0


def test_ndcg_ideal_is_cut_at_k() -> None:
    judged = {f"p{i}": 3 for i in range(5)}
    # Two perfect hits are the best a top 2 can do, although five exist.
    assert ndcg_at_k(["p3", "p1", "x"], judged, 2) == pytest.approx(1.0)
    # Order matters: a swap of grades lowers it.
    assert ndcg_at_k(["c", "a"], JUDGED, 2) < ndcg_at_k(["a", "c"], JUDGED, 2)


def test_recall_counts_judged_products_in_the_top_k() -> None:
    assert recall_at_k(["a", "x", "c"], JUDGED, 2) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "x", "c"], JUDGED, 3) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "x", "c"], JUDGED, 3, min_grade=3) == 1.0
    assert recall_at_k(["b", "c"], JUDGED, 10, min_grade=3) == 0.0


def test_reciprocal_rank_of_the_first_good_hit() -> None:
    # c is grade 1: below the default minimum grade 2, so b at rank 3 counts.
    assert reciprocal_rank(["c", "x", "b", "a"], JUDGED) == pytest.approx(1 / 3)
    assert reciprocal_rank(["c", "x", "b"], JUDGED, min_grade=1) == 1.0
    assert reciprocal_rank(["x", "c"], JUDGED) == 0.0


def test_metrics_refuse_queries_without_judgments_and_bad_k() -> None:
    with pytest.raises(ValueError, match="no judged product"):
        ndcg_at_k(["a"], {}, 10)
    with pytest.raises(ValueError, match="grade >= 3"):
        recall_at_k(["a"], {"a": 2}, 10, min_grade=3)
    with pytest.raises(ValueError, match="grade >= 2"):
        reciprocal_rank(["a"], {"a": 1})
    with pytest.raises(ValueError, match="k must be"):
        ndcg_at_k(["a"], JUDGED, 0)


def test_ann_overlap() -> None:
    assert overlap_at_k(["c", "a", "z"], ["a", "b", "c"], 3) == pytest.approx(2 / 3)
    assert overlap_at_k(["a", "b", "c", "d"], ["a", "b", "c", "e"], 3) == 1.0
    # Fewer documents than k: the share is of the exact list.
    assert overlap_at_k(["a", "b"], ["b", "a"], 10) == 1.0
    with pytest.raises(ValueError, match="empty"):
        overlap_at_k(["a"], [], 10)


def test_colour_honour_counts_missing_hits_as_misses() -> None:
    families = [{"red"}, {"blue"}, set(), {"red"}]
    assert colour_honour_at_k(families, "red", 4) == 0.5
    assert colour_honour_at_k(families, "red", 10) == pytest.approx(0.2)
    assert colour_honour_at_k(families, "green", 4) == 0.0


def test_hit_family_prefers_the_label_over_the_photo() -> None:
    assert hit_families({"colour_family": "red", "image_colour_family": "pink"}) == {"red"}
    assert hit_families({"image_colour_family": "pink"}) == {"pink"}
    assert hit_families({"colour_family": ["red", "pink"]}) == {"red", "pink"}
    assert hit_families({"title": "no colour"}) == set()
    assert hit_families(None) == set()


def test_mean_of_nothing_is_none_not_zero() -> None:
    assert mean([]) is None
    assert mean([0.5, 1.0]) == pytest.approx(0.75)
